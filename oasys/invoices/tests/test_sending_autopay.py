"""Sending an invoice to a client with autopay (a default card and the authorization): the
card is charged when the invoice opens; paid, the client gets the receipt and not the
invoice; declined, or the bank asking the client to confirm, the client gets the invoice
email with the hosted link and what happened. On the fake port."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from oasys.billing.tests.factories import committed
from oasys.core.audit import AuditContext
from oasys.core.models import SentEmail
from oasys.invoices.models import AttemptOutcome, AttemptTrigger, InvoiceStatus, PaymentAttempt
from oasys.invoices.sending import invoice_deliver, invoice_send
from oasys.invoices.services import invoice_create_standalone
from oasys.payments.models import ClientPaymentProfile
from oasys.payments.port import RetryableError

from .charging_world import cash_client, fake_account, fake_card_saved

pytestmark = pytest.mark.django_db

S = InvoiceStatus
O = AttemptOutcome  # noqa: E741


@pytest.fixture
def ctx(owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=owner.practice_id)


@pytest.fixture
def account(practice, payments):
    return fake_account(practice, payments)


@pytest.fixture
def client_(practice):
    return cash_client(practice)


def draft(client, ctx, amount="90.00"):
    return invoice_create_standalone(
        practice=client.practice, client_id=client.pk, ctx=ctx,
        lines=[{"description": "Session fee", "date": timezone.localdate(), "amount": amount}])


def send(invoice, ctx):
    with committed():
        invoice_send(invoice=invoice, ctx=ctx)
    invoice.refresh_from_db()
    return invoice


def kinds(invoice):
    return sorted(SentEmail.objects.filter(client_id=invoice.client_id)
                  .values_list("kind", flat=True))


def send_attempts(invoice):
    return list(PaymentAttempt.objects.filter(invoice=invoice, trigger=AttemptTrigger.SEND))


def test_autopay_charges_the_card_and_the_client_gets_the_receipt_not_the_invoice(
        client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="visa")
    invoice = send(draft(client_, ctx), ctx)
    assert invoice.status == S.PAID and invoice.on_stripe
    [attempt] = send_attempts(invoice)
    assert attempt.outcome == O.SUCCEEDED
    assert kinds(invoice) == ["receipt"]
    assert [m.subject for m in mail.outbox if "Invoice" in m.subject] == []
    # delivering again (a retried task) charges nothing more and emails nothing
    invoice_deliver(invoice_id=invoice.pk)
    assert sum(1 for name, _ in payments.calls if name == "invoice_pay") == 1
    assert kinds(invoice) == ["receipt"]


def test_a_decline_on_send_emails_the_invoice_with_the_reason_and_the_link(
        client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    invoice = send(draft(client_, ctx), ctx)
    assert invoice.status == S.OPEN and invoice.decline_reason
    [attempt] = send_attempts(invoice)
    assert attempt.outcome == O.DECLINED
    assert kinds(invoice) == ["invoice"]  # one message: the invoice tells the decline
    email = SentEmail.objects.get(kind="invoice")
    for body in (email.text_body, email.html_body):
        assert "did not go through" in body and attempt.reason in body
        assert invoice.hosted_invoice_url in body
    assert invoice.next_charge_at is not None  # the retry schedule runs (charging)


def test_a_bank_asking_to_confirm_emails_the_invoice_with_the_confirm_request(
        client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="authenticationRequired")
    invoice = send(draft(client_, ctx), ctx)
    [attempt] = send_attempts(invoice)
    assert (invoice.status, attempt.outcome) == (S.OPEN, O.AUTHENTICATION_REQUIRED)
    email = SentEmail.objects.get(kind="invoice")
    assert "asks you to confirm this payment" in email.text_body
    assert "did not go through" not in email.text_body
    assert invoice.hosted_invoice_url in email.html_body


def test_paused_autopay_sends_the_invoice_without_charging(client_, account, ctx, payments):
    profile, _ = fake_card_saved(client_, account, ctx, payments, card="visa")
    ClientPaymentProfile.objects.filter(pk=profile.pk).update(autopay_paused_at=timezone.now())
    invoice = send(draft(client_, ctx), ctx)
    assert invoice.status == S.OPEN and send_attempts(invoice) == []
    assert kinds(invoice) == ["invoice"]
    assert not any(name == "invoice_pay" for name, _ in payments.calls)


def test_stripe_down_for_the_charge_still_sends_the_invoice(client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="visa")
    # the delivery pays the copy finalize answered (no read of it first): the pay call is
    # what meets Stripe down
    payments.fail_next("invoice_pay", RetryableError("timed out"))
    invoice = send(draft(client_, ctx), ctx)
    [attempt] = send_attempts(invoice)
    assert (invoice.status, attempt.outcome) == (S.OPEN, O.ERROR)
    assert kinds(invoice) == ["invoice"]
    assert invoice.next_charge_at is not None  # charging tries the card again later


def test_a_client_without_a_card_gets_the_invoice(client_, account, ctx, payments):
    invoice = send(draft(client_, ctx), ctx)
    assert invoice.status == S.OPEN and send_attempts(invoice) == []
    assert kinds(invoice) == ["invoice"]
