"""The invoice page's actions: each is a POST (CSRF, billing roles) that calls its service and
comes back to the page with a message; a refusal is a message (or an error beside its field)
and changes nothing; the same form posted twice records once; another practice's invoice is
a 404 and a clinician is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from oasys.core.models import Role, SentEmail
from oasys.core.services import user_create
from oasys.invoices.actions import invoice_record_payment
from oasys.invoices.models import (
    AttemptOutcome,
    Invoice,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentAttempt,
)
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.models import CardRequest

from .actions_support import ctx_of, draft, open_invoice
from .charging_world import cash_client, fake_account, fake_card_saved, open_invoice_on_stripe

pytestmark = pytest.mark.django_db
S = InvoiceStatus
TOKEN = "6f1c1d64-3a57-4c8e-9a55-2b6f5a0c8d11"


def _url(name, invoice):
    return reverse(f"invoices:{name}", args=[invoice.pk])


def _said(resp) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def _status(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).status


def test_send_a_draft_from_its_page(owner_client, practice, django_capture_on_commit_callbacks):
    invoice = draft(practice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(_url("send", invoice))
    assert resp.status_code == 302 and resp["Location"] == _url("detail", invoice)
    assert any("is being sent" in m for m in _said(resp))
    # the delivery ran (eager in tests): no Stripe account, so emailed with the PDF and Open
    assert _status(invoice) == S.OPEN
    assert SentEmail.objects.filter(object_type="Invoice", object_id=str(invoice.pk)).exists()


def test_sending_twice_is_refused_with_the_reason(owner_client, practice):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("send", invoice))
    assert resp.status_code == 302
    assert any(m.startswith("Not sent:") and "already been sent" in m for m in _said(resp))
    assert _status(invoice) == S.OPEN


def test_send_without_an_email_address_says_so(owner_client, practice):
    invoice = draft(practice)
    type(invoice.client).objects.filter(pk=invoice.client_id).update(email="")
    resp = owner_client.post(_url("send", invoice))
    assert any(m.startswith("Not sent:") for m in _said(resp))
    assert _status(invoice) == S.DRAFT


def test_resend_emails_a_reminder(owner_client, practice, django_capture_on_commit_callbacks):
    invoice = open_invoice(practice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(_url("resend", invoice))
    assert any("reminder emailed" in m for m in _said(resp))
    assert SentEmail.objects.filter(object_id=str(invoice.pk), kind="reminder").count() == 1
    assert _status(invoice) == S.OPEN


def test_resend_of_a_draft_is_refused(owner_client, practice):
    invoice = draft(practice)
    resp = owner_client.post(_url("resend", invoice))
    assert any("Only an unpaid invoice is resent." in m for m in _said(resp))
    assert not SentEmail.objects.filter(object_id=str(invoice.pk)).exists()


def test_void_an_open_invoice_and_the_page_then_offers_nothing(owner_client, practice):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("void", invoice), {"reason": "Entered twice"})
    assert any("voided" in m for m in _said(resp))
    assert _status(invoice) == S.VOID
    assert "Entered twice" in invoice.events.last().reason
    assert invoice_figures_one(practice=practice, invoice=invoice).balance == 0
    html = owner_client.get(_url("detail", invoice)).content.decode()
    for offered in ('data-testid="void"', "action-resend", 'data-testid="record-payment"'):
        assert offered not in html


def test_void_is_refused_once_something_was_paid(owner_client, practice, owner):
    invoice = open_invoice(practice)
    invoice_record_payment(invoice=invoice, amount="10", method="cash",
                           received_on=timezone.localdate(), token="t", ctx=ctx_of(owner))
    resp = owner_client.post(_url("void", invoice))
    assert any(m.startswith("Not voided:") and "refund the payment first" in m
               for m in _said(resp))
    assert _status(invoice) == S.OPEN


def test_mark_uncollectible_needs_a_reason(owner_client, practice):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("mark_uncollectible", invoice), {"reason": ""})
    assert resp.status_code == 422 and "This field is required." in resp.content.decode()
    assert _status(invoice) == S.OPEN
    resp = owner_client.post(_url("mark_uncollectible", invoice), {"reason": "Moved away"})
    assert any("marked uncollectible" in m for m in _said(resp))
    assert _status(invoice) == S.UNCOLLECTIBLE
    assert invoice_figures_one(practice=practice, invoice=invoice).balance == 0


def test_mark_uncollectible_of_a_draft_is_refused(owner_client, practice):
    invoice = draft(practice)
    resp = owner_client.post(_url("mark_uncollectible", invoice), {"reason": "x"})
    assert any(m.startswith("Not marked uncollectible:") for m in _said(resp))
    assert _status(invoice) == S.DRAFT


def _payment(amount="150.00", token=TOKEN, **kw):
    return {"token": token, "amount": amount, "method": "check",
            "received_on": timezone.localdate().isoformat(), "reference": "Check 1042",
            "note": "", **kw}


def test_record_a_check_pays_the_invoice_and_twice_records_once(owner_client, practice):
    invoice = open_invoice(practice)
    for _ in range(2):  # a double click posts the same token
        resp = owner_client.post(_url("record_payment", invoice), _payment())
        assert resp.status_code == 302
    assert any("payment of $150.00 recorded" in m for m in _said(resp))
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1
    assert _status(invoice) == S.PAID


@pytest.mark.parametrize(("amount", "words"), [
    ("0", "more than $0"), ("-5", "negative"), ("abc", "Enter an amount"),
    ("10.005", "2 decimal places"), ("500", "would overpay it")])
def test_a_bad_payment_amount_is_shown_beside_the_field(owner_client, practice, amount,
                                                        words):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("record_payment", invoice), _payment(amount=amount))
    assert resp.status_code == 422
    html = resp.content.decode()
    assert words in html and 'data-testid="record-payment"' in html
    assert f'value="{amount}"' in html  # what was typed stays
    assert not InvoicePayment.objects.filter(invoice=invoice).exists()


def test_a_payment_form_without_its_token_is_refused(owner_client, practice):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("record_payment", invoice), _payment(token=""))
    assert resp.status_code == 422
    assert not InvoicePayment.objects.filter(invoice=invoice).exists()


def test_refund_part_of_a_cash_payment_keeps_the_invoice_paid(owner_client, practice):
    invoice = open_invoice(practice)
    owner_client.post(_url("record_payment", invoice), _payment())
    body = {"token": "a7b0e6d2-5d0b-4f59-8f41-0a3a6a3f2c10", "amount": "40",
            "reason": "Overcharged", "payment_id": ""}
    for _ in range(2):
        resp = owner_client.post(_url("refund", invoice), body)
        assert resp.status_code == 302
    assert any("Refund of $40.00" in m for m in _said(resp))
    assert InvoiceRefund.objects.filter(invoice=invoice).count() == 1
    assert _status(invoice) == S.PAID
    figures = invoice_figures_one(practice=practice, invoice=invoice)
    # a refund comes off revenue: a refunded invoice is not owed again
    assert (figures.paid, figures.balance) == (Decimal("110.00"), Decimal("0.00"))
    assert "Overcharged" in owner_client.get(_url("detail", invoice)).content.decode()


def test_a_refund_above_what_was_paid_is_refused_beside_the_amount(owner_client, practice):
    invoice = open_invoice(practice)
    owner_client.post(_url("record_payment", invoice), _payment())
    resp = owner_client.post(_url("refund", invoice), {
        "token": "a7b0e6d2-5d0b-4f59-8f41-0a3a6a3f2c10", "amount": "151", "reason": "x"})
    assert resp.status_code == 422 and "can be refunded" in resp.content.decode()
    assert not InvoiceRefund.objects.exists()


def test_refund_of_an_open_invoice_is_refused(owner_client, practice):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("refund", invoice), {
        "token": "a7b0e6d2-5d0b-4f59-8f41-0a3a6a3f2c10", "amount": "1", "reason": "x"})
    assert resp.status_code == 302
    assert "No refund: Only a paid invoice is refunded." in _said(resp)


def test_request_payment_method_emails_a_link(owner_client, practice, payments,
                                              django_capture_on_commit_callbacks):
    fake_account(practice, payments)
    invoice = open_invoice(practice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(_url("request_payment_method", invoice),
                                 {"charge_open_invoices": "on"})
    assert any("link to save a card was emailed" in m for m in _said(resp)), _said(resp)
    card_request = CardRequest.objects.get(client=invoice.client)
    assert card_request.charge_open_invoices is True


def test_request_payment_method_without_stripe_says_why(owner_client, practice):
    invoice = open_invoice(practice)
    resp = owner_client.post(_url("request_payment_method", invoice))
    assert any(m.startswith("No link sent:") for m in _said(resp))
    assert not CardRequest.objects.exists()


def test_charge_card_on_file_when_the_client_authorized_it(owner_client, practice, owner,
                                                           payments):
    account = fake_account(practice, payments)
    client = cash_client(practice)
    ctx = ctx_of(owner)
    fake_card_saved(client, account, ctx, payments)
    invoice = open_invoice_on_stripe(client, ctx)
    html = owner_client.get(_url("detail", invoice)).content.decode()
    assert 'data-testid="action-charge"' in html
    resp = owner_client.post(_url("charge", invoice))
    assert any("Charged $120.00 to the visa ending 4242" in m for m in _said(resp)), _said(resp)
    assert _status(invoice) == S.PAID
    html = owner_client.get(_url("detail", invoice)).content.decode()
    assert "Visa ending 4242" in html and "Succeeded" in html


def test_a_declined_card_is_said_in_words(owner_client, practice, owner, payments):
    account = fake_account(practice, payments)
    client = cash_client(practice)
    ctx = ctx_of(owner)
    fake_card_saved(client, account, ctx, payments, card="chargeCustomerFail")
    invoice = open_invoice_on_stripe(client, ctx)
    resp = owner_client.post(_url("charge", invoice))
    attempt = PaymentAttempt.objects.get(invoice=invoice)
    assert attempt.outcome == AttemptOutcome.DECLINED
    assert any("was not charged" in m and attempt.reason in m for m in _said(resp))
    assert _status(invoice) == S.OPEN


def test_without_a_card_the_page_says_why_and_a_charge_is_refused(owner_client, practice):
    invoice = open_invoice(practice)
    html = owner_client.get(_url("detail", invoice)).content.decode()
    assert 'data-testid="action-charge"' not in html and 'data-testid="charge-refusal"' in html
    resp = owner_client.post(_url("charge", invoice))
    assert any(m.startswith("Not charged:") for m in _said(resp))
    assert not PaymentAttempt.objects.exists()


ACTIONS = ["send", "resend", "void", "mark_uncollectible", "record_payment", "refund",
           "request_payment_method", "charge"]


def test_actions_are_post_only_with_csrf(practice, owner):
    invoice = draft(practice)
    strict = HttpClient(enforce_csrf_checks=True)
    strict.force_login(owner)
    for name in ACTIONS:
        assert strict.get(_url(name, invoice)).status_code == 405
        assert strict.post(_url(name, invoice)).status_code == 403  # no CSRF token
    assert _status(invoice) == S.DRAFT


def test_actions_are_billing_only_and_scoped(client, practice, other_owner):
    invoice = open_invoice(practice)
    clinician = user_create(practice=practice, email="clin@test.example",
                            password="pw-long-enough-1", role=Role.CLINICIAN)
    client.force_login(clinician)
    assert {client.post(_url(n, invoice)).status_code for n in ACTIONS} == {403}
    client.force_login(other_owner)
    assert {client.post(_url(n, invoice), _payment()).status_code for n in ACTIONS} == {404}
    assert _status(invoice) == S.OPEN and not InvoicePayment.objects.exists()
