"""The product's webhook endpoint against the Stripe stand-in as a real process: the
stand-in signs and delivers real events to `POST /webhooks/stripe` on a live server, the
official SDK (the Stripe adapter) fetches the account back from the stand-in, and faults the
stand-in injects (duplicates, out of order) end in the state Stripe shows; a delivery signed
with another secret is refused and changes nothing.

Waits are on conditions with a deadline: the live server announces each finished request,
and the test re-checks the database (and the stand-in's delivery log) when it does."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.core.signals import request_finished

from oasys.core.services import practice_create
from oasys.payments.connection import payments_port
from oasys.payments.handlers import HANDLERS
from oasys.payments.models import PaymentAccount, StripeWebhookEvent, WebhookEventState

pytestmark = pytest.mark.django_db(transaction=True)

W = WebhookEventState
DEADLINE_SECONDS = 60


class Requests:
    """Notified whenever the live server finishes a request; `wait_for` re-checks its
    condition then (and at least every quarter second), until a deadline."""

    def __init__(self) -> None:
        self.cond = threading.Condition()

    def finished(self, **_kw) -> None:
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, condition: Callable[[], bool], what: str,
                 timeout: float = DEADLINE_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
                self.cond.wait(timeout=min(left, 0.25))


@pytest.fixture
def requests_seen() -> Iterator[Requests]:
    seen = Requests()
    request_finished.connect(seen.finished, dispatch_uid="webhooks-standin-test")
    try:
        yield seen
    finally:
        request_finished.disconnect(dispatch_uid="webhooks-standin-test")


@pytest.fixture
def account_handler():
    """The product's account.updated handler when it is registered; until then a stand-in
    handler that does what the registry asks (fetch the account, write what it says)."""
    if "account.updated" in HANDLERS:
        yield HANDLERS["account.updated"]
        return

    def fetching(event, account):
        acct = payments_port().account_get(account_id=event.account_id)
        PaymentAccount.objects.filter(pk=account.pk).update(
            charges_enabled=acct.charges_enabled, payouts_enabled=acct.payouts_enabled,
            details_submitted=acct.details_submitted,
            requirements=[{"field": r.field, "reason": r.reason} for r in acct.currently_due],
            disabled_reason=acct.disabled_reason)
        return "synced"

    HANDLERS["account.updated"] = fetching
    try:
        yield fetching
    finally:
        HANDLERS.pop("account.updated", None)


@contextlib.contextmanager
def _no_faults(standin):
    try:
        yield
    finally:
        standin.control("webhooks/faults", method="DELETE")


def _connected(standin, slug: str) -> PaymentAccount:
    """A practice with an account created on the stand-in through the product's adapter."""
    practice = practice_create(name=f"Stand-in {slug}", slug=slug)
    acct = payments_port().account_create(
        email=f"owner@{slug}.example", business_name=f"Stand-in {slug}",
        metadata={"practice": str(practice.pk)}, idempotency_key=f"webhooks-test-{slug}")
    return PaymentAccount.objects.create(practice=practice, stripe_account_id=acct.id)


def _account_events(standin, acct_id: str) -> list[str]:
    listing = standin.client().v1.events.list({"type": "account.updated", "limit": 100},
                                              {"stripe_account": acct_id})
    return [e.id for e in listing.data]


def _settled(standin) -> bool:
    return all(d["state"] in ("delivered", "failed", "dropped") for d in standin.deliveries())


def test_real_signed_deliveries_duplicated_and_out_of_order_converge(
        live_server, stripe_standin, settings, requests_seen, account_handler):
    standin = stripe_standin
    # the Connect endpoint, as registered in Stripe's dashboard: its own signing secret
    endpoint = standin.client().v1.webhook_endpoints.create({
        "url": f"{live_server.url}/webhooks/stripe", "connect": True,
        "enabled_events": ["account.updated", "account.application.deauthorized"]})
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret
    account = _connected(standin, "standin-converge")
    acct_id = account.stripe_account_id

    with _no_faults(standin):
        # the first two changes are delivered twice each, the next three held and sent newest
        # first, the last one normally
        standin.control("webhooks/faults", {"mode": "duplicate", "count": 2})
        standin.control("webhooks/faults", {"mode": "out_of_order", "count": 3})
        for state in ("restricted", "pending", "active", "restricted", "pending", "active"):
            standin.control(f"accounts/{acct_id}", {"state": state})

        expected = _account_events(standin, acct_id)
        assert len(expected) == 6

        def all_processed() -> bool:
            return StripeWebhookEvent.objects.filter(
                event_id__in=expected, state=W.PROCESSED).count() == len(expected)

        requests_seen.wait_for(all_processed, "the six account.updated events processed")
        requests_seen.wait_for(lambda: _settled(standin), "the stand-in's deliveries settled")

    deliveries = [d for d in standin.deliveries() if d["event_type"] == "account.updated"]
    assert len(deliveries) == 8  # two duplicated
    assert {d["state"] for d in deliveries} == {"delivered"}
    assert {d["last_status"] for d in deliveries} == {200}
    arrived = list(StripeWebhookEvent.objects.filter(event_id__in=expected).order_by("pk")
                   .values_list("event_id", flat=True))
    assert arrived != expected[::-1]  # (the list is newest first): really out of order
    assert StripeWebhookEvent.objects.filter(event_id__in=expected).count() == 6
    assert set(StripeWebhookEvent.objects.filter(event_id__in=expected)
               .values_list("practice_id", flat=True)) == {account.practice_id}

    now = standin.client().v1.accounts.retrieve(acct_id)
    account.refresh_from_db()
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        now.charges_enabled, now.payouts_enabled, now.details_submitted) == (True, True, True)
    assert account.requirements == []


def test_a_delivery_signed_with_another_secret_is_refused_and_changes_nothing(
        live_server, stripe_standin, settings, requests_seen, account_handler):
    standin = stripe_standin
    settings.STRIPE_WEBHOOK_SECRET = "whsec_the_one_we_registered"  # noqa: S105 - a test value
    account = _connected(standin, "standin-refused")
    before = PaymentAccount.objects.filter(pk=account.pk).values().get()
    standin.control("webhooks/forward", {"url": f"{live_server.url}/webhooks/stripe",
                                         "secret": "whsec_somebody_else"})
    try:
        standin.control(f"accounts/{account.stripe_account_id}", {"state": "active"})
        requests_seen.wait_for(lambda: _settled(standin), "the stand-in to give up")
    finally:
        standin.control("webhooks/forward", {"url": ""})
    deliveries = standin.deliveries()
    assert deliveries and {d["state"] for d in deliveries} == {"failed"}
    assert {d["last_status"] for d in deliveries} == {400}
    assert StripeWebhookEvent.objects.count() == 0
    assert PaymentAccount.objects.filter(pk=account.pk).values().get() == before


def test_the_forward_target_with_our_secret_is_stored_and_processed(
        live_server, stripe_standin, settings, requests_seen, account_handler):
    # `stripe listen --forward-to` style (what `make demo` uses): every event, one secret
    standin = stripe_standin
    settings.STRIPE_WEBHOOK_SECRET = "whsec_forwarded"  # noqa: S105 - a test value
    standin.control("webhooks/forward", {"url": f"{live_server.url}/webhooks/stripe",
                                         "secret": "whsec_forwarded"})
    try:
        account = _connected(standin, "standin-forward")
        standin.control(f"accounts/{account.stripe_account_id}", {"state": "restricted"})
        requests_seen.wait_for(lambda: _settled(standin) and StripeWebhookEvent.objects.filter(
            type="account.updated", state=W.PROCESSED).exists(), "the event processed")
    finally:
        standin.control("webhooks/forward", {"url": ""})
    account.refresh_from_db()
    assert (account.charges_enabled, account.details_submitted) == (False, True)
    assert [r["field"] for r in account.requirements] == ["company.tax_id"]
    # every other event the stand-in sent (the platform's too) was acknowledged
    assert {d["last_status"] for d in standin.deliveries()} == {200}
