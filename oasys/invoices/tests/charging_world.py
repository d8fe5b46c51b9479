"""Helpers of the card-charging tests: a practice whose Stripe account can take cards (on the
fake or the stand-in), a client with a card saved through the real card flow (link, consent,
hosted form, recorded), and an invoice that is Open with its copy on Stripe, made as sending
makes it (a Stripe invoice created and finalized, then opened here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from oasys.clients.models import Client
from oasys.core.audit import AuditContext
from oasys.core.timezones import practice_today
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_standalone
from oasys.payments.cards import (
    card_request_create,
    card_request_open,
    card_saved_record,
    client_payment_profile_ensure,
)
from oasys.payments.connection import payments_port
from oasys.payments.idempotency import idempotency_key
from oasys.payments.models import (
    AccountStatus,
    CardRequest,
    ClientPaymentProfile,
    PaymentAccount,
)
from oasys.payments.port import InvoiceLine

from .helpers import invoice_opened


def account_active(practice, activate) -> PaymentAccount:
    """A connected account made through the port and made active by `activate(acct_id)`
    (the fake's `account_state_set` or the stand-in's control), with its row."""
    acct = payments_port().account_create(
        email=f"owner@{practice.slug}.example", business_name=practice.name,
        metadata={"oasys_practice_id": str(practice.pk)},
        idempotency_key=f"test-account-{practice.pk}")
    activate(acct.id)
    return PaymentAccount.objects.create(
        practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
        charges_enabled=True, payouts_enabled=True, details_submitted=True,
        business_name=practice.name)


def fake_account(practice, payments) -> PaymentAccount:
    return account_active(practice, lambda acct: payments.account_state_set(acct, "active"))


def cash_client(practice, *, first: str = "Maria", email: str = "maria@example.com") -> Client:
    return Client.objects.create(practice=practice, first_name=first, last_name="Lopez",
                                 email=email, billing_type="cash",
                                 date_of_birth=dt.date(1985, 4, 12))


def card_saved(client: Client, account: PaymentAccount, ctx: AuditContext, save,
               *, charge_open_invoices: bool = False) -> tuple[ClientPaymentProfile,
                                                               CardRequest]:
    """The client saves a card: a link (in person), consent ticked, `save(session)` plays
    the hosted form (and answers the completed session's id), and the card is recorded."""
    req = card_request_create(client=client, ctx=ctx, send_email=False,
                              charge_open_invoices=charge_open_invoices)
    session = card_request_open(token=req.token, consent=True)
    session_id = save(session)
    profile = card_saved_record(account=account, session_id=session_id, ctx=ctx)
    req.refresh_from_db()
    return profile, req


def fake_card_saved(client, account, ctx, payments, card: str = "visa", **kw):
    def save(session):
        payments.setup_session_complete(account.stripe_account_id, session.id, card=card)
        return session.id
    return card_saved(client, account, ctx, save, **kw)


def open_invoice_on_stripe(client: Client, ctx: AuditContext,
                           amount: str = "120.00") -> Invoice:
    """A standalone invoice for `amount`, on Stripe (created and finalized on the practice's
    account, for the client's customer) and Open here with its charge in the journal."""
    practice = client.practice
    invoice = invoice_create_standalone(
        practice=practice, client_id=client.pk, ctx=ctx,
        lines=[{"description": "Late cancellation fee",
                "date": practice_today(practice).isoformat(), "amount": amount}])
    profile = client_payment_profile_ensure(client=client, ctx=ctx)
    port = payments_port()
    acct = profile.account.stripe_account_id
    remote = port.invoice_create(
        account_id=acct, customer_id=profile.stripe_customer_id,
        lines=[InvoiceLine(description="Late cancellation fee", amount=Decimal(amount))],
        currency="usd", days_until_due=14,
        metadata={"oasys_invoice_id": str(invoice.pk), "oasys_invoice_number": invoice.number},
        idempotency_key=idempotency_key("invoice", invoice.pk, "create"))
    remote = port.invoice_finalize(account_id=acct, invoice_id=remote.id,
                                   idempotency_key=idempotency_key("invoice", invoice.pk,
                                                                   "finalize"))
    Invoice.objects.filter(pk=invoice.pk).update(
        stripe_account_id=acct, stripe_invoice_id=remote.id,
        hosted_invoice_url=remote.hosted_invoice_url)
    invoice.refresh_from_db()
    invoice_opened(invoice, ctx)
    invoice.refresh_from_db()
    return invoice
