"""/api/v1/clients/{id}/payment-method: read the card on file, remove it, email a link."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from oasys.core.models import AuditEvent, Role
from oasys.payments.cards import card_request_create, card_saved_record
from oasys.payments.models import CardRequest, ClientPaymentProfile

from .conftest import save_card_on_form

pytestmark = pytest.mark.django_db


def _url(client_pk, tail=""):
    return f"/api/v1/clients/{client_pk}/payment-method{tail}"


@pytest.fixture
def with_card(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    return card_saved_record(account=account,
                             session_id=save_card_on_form(payments, account, req), ctx=ctx)


def test_no_card_answers_null(api_client, cash_client):
    resp = api_client.get(_url(cash_client.pk))
    assert resp.status_code == 200
    assert resp.json() == {"card": None, "autopay_consent_at": None}


def test_the_card_on_file(api_client, cash_client, with_card):
    body = api_client.get(_url(cash_client.pk)).json()
    assert body["card"]["brand"] == "visa" and body["card"]["last4"] == "4242"
    assert body["card"]["exp_month"] == 12
    assert body["card"]["exp_year"] == timezone.now().year + 3
    assert body["card"]["saved_at"] and body["autopay_consent_at"]
    assert set(body["card"]) == {"brand", "last4", "exp_month", "exp_year", "saved_at"}
    assert AuditEvent.objects.filter(action="read", category="payment_method",
                                     client_id_ref=cash_client.pk).exists()


def test_delete_removes_then_answers_404(api_client, cash_client, with_card):
    assert api_client.delete(_url(cash_client.pk)).status_code == 204
    assert not ClientPaymentProfile.objects.get(pk=with_card.pk).has_card
    resp = api_client.delete(_url(cash_client.pk))
    assert resp.status_code == 404
    assert resp.json() == {"errors": {"__all__": "This client has no card on file."}}


def test_request_emails_a_link(api_client, cash_client, account,
                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resp = api_client.post(_url(cash_client.pk, "/request"), {},
                               content_type="application/json")
    assert resp.status_code == 201
    body = resp.json()
    req = CardRequest.objects.get()
    assert body["request_id"] == req.pk and body["emailed_to"] == "maria@example.com"
    assert body["expires_at"]
    assert len(mail.outbox) == 1 and f"/pay/card/{req.token}/" in mail.outbox[0].body


def test_request_refusals_answer_the_domain_statuses(api_client, cash_client, practice):
    resp = api_client.post(_url(cash_client.pk, "/request"), {},
                           content_type="application/json")
    assert resp.status_code == 409  # no connected account
    assert "Payment processing is Not connected" in resp.json()["errors"]["__all__"]
    cash_client.email = ""
    cash_client.save()
    resp = api_client.post(_url(cash_client.pk, "/request"), {},
                           content_type="application/json")
    assert resp.status_code == 422 and "no email address" in resp.json()["errors"]["email"]


def test_another_practices_client_answers_404(role_api, other_practice, cash_client,
                                              with_card):
    http = role_api(Role.OWNER, of=other_practice)
    assert http.get(_url(cash_client.pk)).status_code == 404
    assert http.delete(_url(cash_client.pk)).status_code == 404
    assert http.post(_url(cash_client.pk, "/request"), {},
                     content_type="application/json").status_code == 404
    assert ClientPaymentProfile.objects.get(pk=with_card.pk).has_card
    assert CardRequest.objects.count() == 1  # only the one that saved the card


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.SUPERVISOR])
def test_clinicians_may_neither_read_nor_change(role_api, role, cash_client, with_card):
    http = role_api(role)
    assert http.get(_url(cash_client.pk)).status_code == 403
    assert http.delete(_url(cash_client.pk)).status_code == 403
    assert http.post(_url(cash_client.pk, "/request"), {},
                     content_type="application/json").status_code == 403
    assert ClientPaymentProfile.objects.get(pk=with_card.pk).has_card
