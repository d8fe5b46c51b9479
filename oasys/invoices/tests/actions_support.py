"""Setting up invoices for the action tests: a standalone invoice opened the way sending
opens it, optionally with a copy on the practice's Stripe account (made through the port,
so the same helpers serve the fake and the stand-in), and a card payment taken on Stripe and
recorded through `settlement.payment_apply`."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.audit import AuditContext
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import Invoice, InvoicePayment, InvoiceStatus, PaymentMethod
from oasys.invoices.services import invoice_create_standalone
from oasys.invoices.settlement import PaymentIn, invoice_open, payment_apply, stripe_payment_key
from oasys.payments.connection import payments_port
from oasys.payments.models import AccountStatus, PaymentAccount
from oasys.payments.port import InvoiceLine


def ctx_of(user) -> AuditContext:
    return AuditContext(user_id=user.pk, user_email=user.email, practice_id=user.practice_id)


def draft(practice, *, amount: str = "150.00", client=None) -> Invoice:
    client = client or f.make_client(practice, billing_type=BillingType.SELF_PAY)
    return invoice_create_standalone(
        practice=practice, client_id=client.pk, ctx=f.ctx_for(practice=practice),
        lines=[{"description": "Late cancellation fee",
                "date": timezone.localdate().isoformat(), "amount": amount}])


def opened(invoice: Invoice, *, updates: dict | None = None) -> Invoice:
    ctx = AuditContext.system(practice_id=invoice.practice_id, source="tests")
    INVOICE_MACHINE.transition(obj=invoice, to=InvoiceStatus.SENDING, ctx=ctx,
                               source="tests", reason="send")
    invoice_open(invoice=invoice, ctx=ctx, source="tests", updates=updates)
    invoice.refresh_from_db()
    return invoice


def open_invoice(practice, *, amount: str = "150.00", client=None) -> Invoice:
    return opened(draft(practice, amount=amount, client=client))


def stripe_account(practice, activate) -> PaymentAccount:
    """A connected account able to take cards; `activate(account_id)` plays the owner
    finishing onboarding (the fake's or the stand-in's control)."""
    acct = payments_port().account_create(
        email=f"owner@{practice.slug}.example", business_name=practice.name,
        metadata={"oasys_practice_id": str(practice.pk)},
        idempotency_key=f"test-account-{practice.pk}")
    activate(acct.id)
    return PaymentAccount.objects.create(
        practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
        charges_enabled=True, payouts_enabled=True, details_submitted=True,
        business_name=practice.name)


def customer_of(invoice: Invoice, account: PaymentAccount) -> str:
    client = invoice.client
    return payments_port().customer_create(
        account_id=account.stripe_account_id, email=client.email, name=str(client),
        metadata={"oasys_client_id": str(client.pk)},
        idempotency_key=f"test-customer-{client.pk}").id


def open_on_stripe(invoice: Invoice, account: PaymentAccount, customer_id: str) -> Invoice:
    """The Draft's copy made and finalized on Stripe, and the invoice opened with its ids
    (what sending does)."""
    port = payments_port()
    lines = [InvoiceLine(description=ln.description, amount=ln.amount)
             for ln in invoice.lines.all()]
    remote = port.invoice_create(
        account_id=account.stripe_account_id, customer_id=customer_id, lines=lines,
        currency="usd", days_until_due=14,
        metadata={"oasys_invoice_id": str(invoice.pk), "oasys_invoice_number": invoice.number},
        idempotency_key=f"test-invoice-{invoice.pk}-create")
    remote = port.invoice_finalize(account_id=account.stripe_account_id, invoice_id=remote.id,
                                   idempotency_key=f"test-invoice-{invoice.pk}-finalize")
    return opened(invoice, updates={"stripe_account_id": account.stripe_account_id,
                                    "stripe_invoice_id": remote.id,
                                    "hosted_invoice_url": remote.hosted_invoice_url})


def card_paid(invoice: Invoice, account: PaymentAccount, payment_method_id: str
              ) -> InvoicePayment:
    """The card charged on Stripe for the invoice, and the payment recorded (as the pay call
    or the webhook records it)."""
    port = payments_port()
    remote = port.invoice_pay(account_id=account.stripe_account_id,
                              invoice_id=invoice.stripe_invoice_id,
                              payment_method_id=payment_method_id,
                              idempotency_key=f"test-invoice-{invoice.pk}-pay")
    charge = port.charge_get(account_id=account.stripe_account_id, charge_id=remote.charge_id)
    payment, _ = payment_apply(
        invoice=invoice, ctx=AuditContext.system(practice_id=invoice.practice_id,
                                                 source="tests"),
        source="tests",
        payment=PaymentIn(key=stripe_payment_key(charge.id), method=PaymentMethod.CARD,
                          amount=Decimal(charge.amount), fee=charge.fee,
                          stripe_charge_id=charge.id, card_brand=charge.card_brand,
                          card_last4=charge.card_last4))
    invoice.refresh_from_db()
    return payment
