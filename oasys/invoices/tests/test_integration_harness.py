"""The integration harness itself (conftest.py, integration.py), proved with what the spine
already has: the Stripe stand-in and the mail sink run as real processes, the product's
adapter reaches the stand-in, a card saved on the stand-in's hosted form is charged there,
`settlement.payment_apply` records that charge once, and `email_send` delivers through
Django's SMTP backend to the sink, where the test reads it back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from oasys.core.outbound_mail import email_send
from oasys.invoices.models import InvoicePayment, InvoiceStatus, PaymentMethod
from oasys.invoices.settlement import PaymentIn, payment_apply, stripe_payment_key
from oasys.ledger.selectors import client_balance, invoice_figures_one
from oasys.payments.connection import payments_port
from oasys.payments.port import InvoiceLine

from .helpers import invoice_opened
from .integration import DIAGNOSIS

pytestmark = pytest.mark.django_db


def test_the_processes_are_real_and_the_settings_point_at_them(invoice_world, settings):
    world = invoice_world
    assert settings.PAYMENTS_ADAPTER == "stripe"
    assert settings.STRIPE_API_BASE == world.standin.base_url
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings.EMAIL_HOST, settings.EMAIL_PORT) == (world.sink.smtp_host,
                                                          world.sink.smtp_port)
    assert world.sink.http.get("/health").json()["ok"] is True
    assert world.standin.control("health", method="GET")["ok"] is True
    acct = world.sdk().v1.accounts.retrieve(world.account.stripe_account_id)
    assert acct.charges_enabled is True


def test_a_card_charged_on_the_standin_is_applied_once(invoice_world):
    world = invoice_world
    profile = world.save_card()
    invoice = invoice_opened(world.standalone("120.00"), world.ctx)
    port = payments_port()
    acct = world.account.stripe_account_id
    remote = port.invoice_create(
        account_id=acct, customer_id=profile.stripe_customer_id,
        lines=[InvoiceLine(description="Late cancellation fee", amount=Decimal("120.00"))],
        currency="usd", days_until_due=14,
        metadata={"oasys_invoice_id": str(invoice.pk), "oasys_invoice_number": invoice.number},
        idempotency_key=f"harness-{invoice.pk}-create")
    port.invoice_finalize(account_id=acct, invoice_id=remote.id,
                          idempotency_key=f"harness-{invoice.pk}-finalize")
    paid = port.invoice_pay(account_id=acct, invoice_id=remote.id,
                            payment_method_id=profile.card_payment_method_id,
                            idempotency_key=f"harness-{invoice.pk}-pay")
    assert paid.status == "paid" and paid.charge_id
    charge = port.charge_get(account_id=acct, charge_id=paid.charge_id)
    assert charge.fee == Decimal("3.78")  # the stand-in's 2.9% + 30c
    assert charge.metadata.get("oasys_invoice_id") == str(invoice.pk)

    payment = PaymentIn(key=stripe_payment_key(charge.id), method=PaymentMethod.CARD,
                        amount=charge.amount, fee=charge.fee, stripe_charge_id=charge.id,
                        card_brand=charge.card_brand, card_last4=charge.card_last4)
    row, created = payment_apply(invoice=invoice, payment=payment, ctx=world.ctx)
    again, created_again = payment_apply(invoice=invoice, payment=payment, ctx=world.ctx)
    assert (created, created_again) == (True, False) and again.pk == row.pk
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    figures = invoice_figures_one(practice=world.practice, invoice=invoice)
    assert (figures.total, figures.paid, figures.balance) == (
        Decimal("120.00"), Decimal("120.00"), Decimal("0.00"))
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1
    assert client_balance(practice=world.practice, client_id=world.client.pk) == 0


def test_an_email_goes_over_smtp_to_the_sink_and_reads_back(invoice_world,
                                                             django_capture_on_commit_callbacks):
    world = invoice_world
    with django_capture_on_commit_callbacks(execute=True):
        sent = email_send(
            practice=world.practice, to=world.client.email, subject="Your invoice INV-1",
            template="email/notice",
            context={"heading": "Your invoice", "paragraphs": ["Amount due: $120.00"],
                     "action_url": "https://pay.example/i/1", "action_label": "Pay"},
            ctx=world.ctx, kind="invoice", object_type="Invoice", object_id=1,
            client_id=world.client.pk,
            attachments=[("INV-1.pdf", b"%PDF-1.4 harness", "application/pdf")])
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert mail.outbox == []  # not Django's in-memory outbox: the real SMTP backend
    [message] = world.mail_to_client()
    assert message["subject"] == "Your invoice INV-1"
    assert message["attachments"] == ["INV-1.pdf"]
    assert "Amount due: $120.00" in message["text"]
    assert "https://pay.example/i/1" in message["html"]
    assert DIAGNOSIS not in message["text"] + message["html"]
