"""Receipts: each payment recorded (by hand, by card, by a webhook) emails the client a receipt
with the PDF attached, once, after the payment commits, when the practice's settings say so;
nothing clinical in it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import TestCase

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.models import SentEmail
from oasys.invoices.actions import invoice_record_payment
from oasys.invoices.models import InvoiceSettings, PaymentMethod
from oasys.invoices.receipts import receipt_email_send
from oasys.invoices.settlement import PaymentIn, payment_apply

from .actions_support import ctx_of, open_invoice
from .pdftext import pdf_read

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(owner):
    return ctx_of(owner)


def _cash(invoice, ctx, amount="60.00", token="t", method=PaymentMethod.CHECK):
    return invoice_record_payment(invoice=invoice, amount=amount, method=method,
                                  received_on=None, reference="1042", token=token, ctx=ctx)


def test_a_payment_emails_a_receipt_with_its_pdf_after_commit(practice, ctx):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    f.make_diagnosis(client, "F41.1")
    invoice = open_invoice(practice, client=client)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        payment = _cash(invoice, ctx)
    assert not SentEmail.objects.exists()  # nothing before the payment commits
    for callback in queued:
        callback()
    email = SentEmail.objects.get()
    assert (email.kind, email.to, email.object_type, email.object_id, email.client_id) == \
        ("receipt", client.email, "Invoice", str(invoice.pk), client.pk)
    assert email.subject == f"{practice.name}: receipt for invoice {invoice.number}"
    for body in (email.text_body, email.html_body):
        assert "$60.00" in body and invoice.number in body and "1042" in body
        assert "$90.00" in body  # still owed
        assert "F41.1" not in body
    [attachment] = email.attachments.all()
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == f"receipt-{invoice.number}-{payment.pk}.pdf"
    text = pdf_read(bytes(attachment.content)).text
    assert "RECEIPT" in text and "$60.00" in text and "F41.1" not in text


def test_one_receipt_per_payment_however_often_it_is_reported(practice, ctx):
    invoice = open_invoice(practice)
    payment = PaymentIn(key="stripe:ch_1", method=PaymentMethod.CARD, amount=Decimal("150"),
                        stripe_charge_id="ch_1", card_brand="visa", card_last4="4242")
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment_apply(invoice=invoice, payment=payment, ctx=ctx, source="pay call")
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment_apply(invoice=invoice, payment=payment, ctx=ctx, source="webhook")
    email = SentEmail.objects.get()
    assert "Visa ending in 4242" in email.text_body
    assert "paid in full" in email.text_body


def test_no_receipt_when_the_practice_turned_them_off(practice, ctx):
    InvoiceSettings.objects.create(practice=practice, email_receipts=False)
    invoice = open_invoice(practice)
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment = _cash(invoice, ctx)
    assert not SentEmail.objects.exists()
    assert receipt_email_send(payment=payment, ctx=ctx) is None


def test_no_receipt_for_a_client_without_email(practice, ctx):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY, email="")
    invoice = open_invoice(practice, client=client)
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment = _cash(invoice, ctx)
    assert payment.pk and not SentEmail.objects.exists()
