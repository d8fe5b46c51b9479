"""`POST /webhooks/stripe`: what Stripe's deliveries get back, and that a refused one stores
nothing. Django's test client, with the fake signing as Stripe does."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from oasys.payments.models import StripeWebhookEvent, WebhookEventState

from .webhook_support import connected_account, recording, registry

pytestmark = pytest.mark.django_db

W = WebhookEventState
TYPE = "oasys_test.thing_changed"
URL = "/webhooks/stripe"


@pytest.fixture
def calls():
    out: list = []
    with registry() as reg:
        reg.add(TYPE, recording(out))
        yield out


@pytest.fixture
def account(payments):
    return connected_account(payments)


@pytest.fixture
def stripe_client():
    """Stripe's side: no session, no cookies, and CSRF checked as for a browser."""
    return Client(enforce_csrf_checks=True)


def post(client, body: bytes, header: str | None):
    headers = {} if header is None else {"Stripe-Signature": header}
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_the_url_is_named():
    assert reverse("payments_public:stripe_webhook") == URL


def test_a_good_delivery_is_stored_processed_and_acknowledged(
        payments, account, calls, stripe_client, django_capture_on_commit_callbacks):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    with django_capture_on_commit_callbacks(execute=True):
        resp = post(stripe_client, *payments.signed(event))
    assert resp.status_code == 200
    assert resp.json() == {"received": True}
    assert "sessionid" not in resp.cookies and "csrftoken" not in resp.cookies
    row = StripeWebhookEvent.objects.get()
    assert (row.event_id, row.state) == (event.id, W.PROCESSED)
    assert calls == [(event.id, account.practice_id)]


def _tampered(payments, event):
    body, header = payments.signed(event)
    return body.replace(b"Jane", b"June"), header


@pytest.mark.parametrize("make", [
    pytest.param(lambda f, e: (f.signed(e)[0], None), id="no-header"),
    pytest.param(lambda f, e: (f.signed(e)[0], ""), id="empty-header"),
    pytest.param(lambda f, e: f.signed(e, secret="whsec_wrong"), id="wrong-secret"),
    pytest.param(_tampered, id="tampered-body"),
    pytest.param(lambda f, e: f.signed(e, timestamp=int(time.time()) - 6 * 60), id="six-min-old"),
    pytest.param(lambda f, e: (b"not json at all", f.signed(e)[1]), id="not-json"),
    pytest.param(lambda f, e: (b'{"id": "evt_x", "object": "charge"}', f.signed(e)[1]),
                 id="not-an-event"),
])
def test_a_refused_delivery_answers_400_and_stores_nothing(
        payments, account, calls, stripe_client, make, django_capture_on_commit_callbacks):
    event = payments.event_emit(TYPE, account.stripe_account_id, {
        "id": "cus_1", "object": "customer", "name": "Jane Q. Client"})
    body, header = make(payments, event)
    with django_capture_on_commit_callbacks(execute=True):
        resp = post(stripe_client, body, header)
    assert resp.status_code == 400
    assert set(resp.json()) == {"error"} and resp.json()["error"]
    assert b"Jane" not in resp.content and b"June" not in resp.content  # nothing echoed
    assert StripeWebhookEvent.objects.count() == 0
    assert calls == []


def test_a_duplicate_delivery_is_acknowledged_and_runs_once(
        payments, account, calls, stripe_client, django_capture_on_commit_callbacks):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            resp = post(stripe_client, *payments.signed(event))
        assert resp.status_code == 200 and resp.json() == {"received": True}
    assert StripeWebhookEvent.objects.count() == 1
    assert len(calls) == 1


def test_an_unknown_type_is_acknowledged(payments, account, stripe_client,
                                         django_capture_on_commit_callbacks):
    event = payments.event_emit("oasys_test.never_heard_of_it", account.stripe_account_id, {})
    with django_capture_on_commit_callbacks(execute=True):
        resp = post(stripe_client, *payments.signed(event))
    assert resp.status_code == 200 and resp.json() == {"received": True}
    assert StripeWebhookEvent.objects.get().state == W.IGNORED


def test_an_unknown_account_is_acknowledged(payments, calls, stripe_client,
                                            django_capture_on_commit_callbacks):
    event = payments.event_emit(TYPE, "acct_unknown", {})
    with django_capture_on_commit_callbacks(execute=True):
        resp = post(stripe_client, *payments.signed(event))
    assert resp.status_code == 200
    assert StripeWebhookEvent.objects.get().state == W.IGNORED
    assert calls == []


def test_an_absurdly_large_body_is_413_and_unread(payments, stripe_client):
    body = b'{"object": "event", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    resp = post(stripe_client, body, payments.signed({})[1])
    assert resp.status_code == 413
    assert StripeWebhookEvent.objects.count() == 0


def test_get_and_other_methods_are_405(stripe_client):
    assert stripe_client.get(URL).status_code == 405
    assert stripe_client.put(URL, data=b"{}").status_code == 405


def test_no_login_is_asked_and_none_is_used(payments, account, calls, owner_client,
                                            django_capture_on_commit_callbacks):
    # a logged-in browser posting there is no different from Stripe: the signature decides
    event = payments.event_emit(TYPE, account.stripe_account_id, {})
    body, header = payments.signed(event, secret="whsec_wrong")
    resp = post(owner_client, body, header)
    assert resp.status_code == 400 and StripeWebhookEvent.objects.count() == 0
