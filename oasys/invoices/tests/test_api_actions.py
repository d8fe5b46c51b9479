"""POST /api/v1/invoices/{id}/send, /resend, /void, /mark-uncollectible, /record-payment,
/refund, /request-payment-method: each answers the invoice as GET /{id} does (200), 409 with
the reason for an action its status does not allow, 422 with field errors for bad input, 404
for another practice's invoice. Amounts are strings with two decimals. Record-payment and
refund record once per Idempotency-Key (else per body)."""

from __future__ import annotations

import json
import secrets

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from oasys.core.models import ApiToken, Role, SentEmail
from oasys.core.services import user_create
from oasys.invoices.models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentAttempt,
)
from oasys.payments.models import CardRequest

from .actions_support import draft, open_invoice
from .charging_world import fake_account

pytestmark = pytest.mark.django_db
BASE = "/api/v1/invoices"
S = InvoiceStatus


def _post(api, invoice, action, body=None, **headers):
    data = "" if body is None else json.dumps(body)
    return api.post(f"{BASE}/{invoice.pk}/{action}", data, content_type="application/json",
                    headers=headers)


def _status(invoice):
    return Invoice.objects.get(pk=invoice.pk).status


def _api_for(user):
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return HttpClient(headers={"Authorization": f"Bearer {key}"})


def test_send_answers_the_invoice(api_client, practice, django_capture_on_commit_callbacks):
    invoice = draft(practice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = _post(api_client, invoice, "send")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["id"] == invoice.pk and body["status"] == "sending"
    assert body == {**body, "total": "150.00", "paid": "0.00"}
    # the delivery ran on commit (eager in tests); GET shows it Open
    assert api_client.get(f"{BASE}/{invoice.pk}").json()["status"] == "open"


def test_send_twice_is_409_with_the_reason(api_client, practice):
    invoice = open_invoice(practice)
    resp = _post(api_client, invoice, "send")
    assert resp.status_code == 409
    assert "already been sent" in json.dumps(resp.json()["errors"])


def test_resend_emails_a_reminder(api_client, practice, django_capture_on_commit_callbacks):
    invoice = open_invoice(practice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = _post(api_client, invoice, "resend")
    assert resp.status_code == 200 and resp.json()["status"] == "open"
    assert SentEmail.objects.filter(object_id=str(invoice.pk), kind="reminder").count() == 1
    assert _post(api_client, draft(practice), "resend").status_code == 409


def test_void_with_and_without_a_body(api_client, practice):
    invoice = open_invoice(practice)
    resp = _post(api_client, invoice, "void", {"reason": "Entered twice"})
    assert resp.status_code == 200 and resp.json()["status"] == "void"
    assert resp.json()["balance"] == "0.00"
    assert resp.json()["events"][-1]["reason"].count("Entered twice") == 1
    other = draft(practice)
    assert _post(api_client, other, "void").status_code == 200  # no body at all
    again = _post(api_client, invoice, "void")
    assert again.status_code == 409 and "cannot be voided" in json.dumps(again.json())


def test_void_refused_once_paid_is_409(api_client, practice):
    invoice = open_invoice(practice)
    _post(api_client, invoice, "record-payment", {"amount": "10.00", "method": "cash"})
    resp = _post(api_client, invoice, "void")
    assert resp.status_code == 409 and "refund the payment first" in json.dumps(resp.json())


def test_a_body_that_is_not_an_object_is_422(api_client, practice):
    invoice = open_invoice(practice)
    resp = api_client.post(f"{BASE}/{invoice.pk}/void", "[1]", content_type="application/json")
    assert resp.status_code == 422
    resp = _post(api_client, invoice, "mark-uncollectible", {"reason": 5})
    assert resp.status_code == 422 and "reason" in resp.json()["errors"]
    assert _status(invoice) == S.OPEN


def test_mark_uncollectible(api_client, practice):
    invoice = open_invoice(practice)
    resp = _post(api_client, invoice, "mark-uncollectible", {"reason": "Moved away"})
    assert resp.status_code == 200 and resp.json()["status"] == "uncollectible"
    assert resp.json()["balance"] == "0.00"
    assert _post(api_client, draft(practice), "mark-uncollectible",
                 {"reason": "x"}).status_code == 409


def test_record_payment_answers_the_payment_and_paid(api_client, practice):
    invoice = open_invoice(practice)
    today = timezone.localdate().isoformat()
    resp = _post(api_client, invoice, "record-payment", {
        "amount": "150", "method": "check", "received_on": today, "reference": "Check 1042",
        "note": "at the front desk"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["status"], body["paid"], body["balance"]) == ("paid", "150.00", "0.00")
    [payment] = body["payments"]
    assert payment == {**payment, "method": "check", "amount": "150.00", "fee": "0.00",
                       "received_on": today, "reference": "Check 1042",
                       "note": "at the front desk"}
    assert body["actions"] == ["refund"]


def test_record_payment_once_per_idempotency_key(api_client, practice):
    invoice = open_invoice(practice)
    for _ in range(2):
        resp = _post(api_client, invoice, "record-payment",
                     {"amount": "20.00", "method": "cash"}, **{"Idempotency-Key": "k-1"})
        assert resp.status_code == 200
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1
    # another key is another payment, the same body included
    _post(api_client, invoice, "record-payment", {"amount": "20.00", "method": "cash"},
          **{"Idempotency-Key": "k-2"})
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 2


def test_record_payment_without_a_key_is_once_per_body(api_client, practice):
    invoice = open_invoice(practice)
    body = {"amount": "20.00", "method": "cash", "reference": "r1"}
    _post(api_client, invoice, "record-payment", body)
    resp = _post(api_client, invoice, "record-payment", body)
    assert resp.status_code == 200 and resp.json()["balance"] == "130.00"
    _post(api_client, invoice, "record-payment", {**body, "reference": "r2"})
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "0", "method": "cash"}, "amount"),
    ({"amount": "-5", "method": "cash"}, "amount"),
    ({"amount": "abc", "method": "cash"}, "amount"),
    ({"amount": "1.005", "method": "cash"}, "amount"),
    ({"amount": 1.005, "method": "cash"}, "amount"),
    ({"amount": "500", "method": "cash"}, "amount"),
    ({"amount": "5", "method": "card"}, "method"),
    ({"amount": "5", "method": "cash", "received_on": "yesterday"}, "received_on"),
    ({"amount": "5", "method": "cash", "received_on": "2999-01-01"}, "received_on"),
])
def test_bad_payment_input_is_422_with_the_field(api_client, practice, body, field):
    invoice = open_invoice(practice)
    resp = _post(api_client, invoice, "record-payment", body)
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["errors"]
    assert not InvoicePayment.objects.exists()


def test_record_payment_on_a_draft_is_409(api_client, practice):
    resp = _post(api_client, draft(practice), "record-payment",
                 {"amount": "5", "method": "cash"})
    assert resp.status_code == 409


def test_refund_in_part_keeps_paid_and_shows_the_refund(api_client, practice):
    invoice = open_invoice(practice)
    paid = _post(api_client, invoice, "record-payment", {"amount": "150", "method": "cash"})
    payment_id = paid.json()["payments"][0]["id"]
    for _ in range(2):
        resp = _post(api_client, invoice, "refund",
                     {"amount": "40.00", "reason": "Overcharged", "payment_id": payment_id},
                     **{"Idempotency-Key": "refund-1"})
        assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["status"], body["paid"], body["refunded"], body["balance"]) == (
        "paid", "110.00", "40.00", "0.00")  # a refunded invoice is not owed again
    [refund] = body["refunds"]
    assert refund == {**refund, "payment_id": payment_id, "amount": "40.00",
                      "status": "succeeded", "reason": "Overcharged"}
    assert InvoiceRefund.objects.count() == 1


def test_refund_refusals(api_client, practice):
    invoice = open_invoice(practice)
    assert _post(api_client, invoice, "refund", {"amount": "1", "reason": "x"}
                 ).status_code == 409  # not paid
    _post(api_client, invoice, "record-payment", {"amount": "150", "method": "cash"})
    too_much = _post(api_client, invoice, "refund", {"amount": "150.01", "reason": "x"})
    assert too_much.status_code == 422 and "amount" in too_much.json()["errors"]
    assert _post(api_client, invoice, "refund", {"amount": "1", "reason": "x",
                                                 "payment_id": 999999}).status_code == 404
    assert not InvoiceRefund.objects.exists()


def test_request_payment_method(api_client, practice, payments,
                                django_capture_on_commit_callbacks):
    invoice = open_invoice(practice)
    assert _post(api_client, invoice, "request-payment-method").status_code == 409  # no Stripe
    fake_account(practice, payments)
    bad = _post(api_client, invoice, "request-payment-method", {"charge_open_invoices": "y"})
    assert bad.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        resp = _post(api_client, invoice, "request-payment-method",
                     {"charge_open_invoices": True})
    assert resp.status_code == 200, resp.content
    assert CardRequest.objects.get(client=invoice.client).charge_open_invoices is True


def test_get_shows_attempts_and_the_stripe_copy(api_client, practice):
    invoice = open_invoice(practice)
    PaymentAttempt.objects.create(
        practice=practice, invoice=invoice, number=1, trigger=AttemptTrigger.SEND,
        outcome=AttemptOutcome.DECLINED, amount="150.00", card_brand="visa",
        card_last4="0341", decline_code="generic_decline", reason="The card was declined.")
    Invoice.objects.filter(pk=invoice.pk).update(
        stripe_invoice_id="in_1", hosted_invoice_url="https://invoice.stripe.test/i/1")
    body = api_client.get(f"{BASE}/{invoice.pk}").json()
    [attempt] = body["attempts"]
    assert attempt == {**attempt, "number": 1, "outcome": "declined", "amount": "150.00",
                       "card_last4": "0341", "reason": "The card was declined."}
    assert body["stripe_invoice_id"] == "in_1"
    assert body["hosted_invoice_url"] == "https://invoice.stripe.test/i/1"


ROUTES = ["send", "resend", "void", "mark-uncollectible", "record-payment", "refund",
          "request-payment-method"]


def test_another_practices_invoice_is_404_and_untouched(practice, other_owner):
    invoice = open_invoice(practice)
    other = _api_for(other_owner)
    for route in ROUTES:
        resp = _post(other, invoice, route, {"amount": "150", "method": "cash",
                                             "reason": "x"})
        assert resp.status_code == 404, route
    assert _status(invoice) == S.OPEN and not InvoicePayment.objects.exists()


def test_a_clinician_is_refused(practice):
    invoice = open_invoice(practice)
    clinician = user_create(practice=practice, email="clin@test.example",
                            password="pw-long-enough-1", role=Role.CLINICIAN)
    api = _api_for(clinician)
    assert {_post(api, invoice, r, {}).status_code for r in ROUTES} == {403}
    assert _status(invoice) == S.OPEN


def test_the_routes_are_in_the_openapi_schema(api_client):
    paths = api_client.get("/api/v1/openapi.json").json()["paths"]
    for route in ROUTES:
        assert f"/api/v1/invoices/{{invoice_id}}/{route}" in paths
