"""Invoices on the fake Stripe (payments/fake.py), for the property and ledger-agreement
tests: a practice whose account is active, clients who save cards through the product's
card flow, the client paying on Stripe's hosted page (the fake's copy is paid; the product
hears of it by the webhook only), and Stripe's events signed and delivered to the
product's receiver, with what the services queue on commit run at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.test import TestCase
from django.utils import timezone

from oasys.clients.models import Client
from oasys.core.audit import AuditContext
from oasys.core.models import Practice
from oasys.payments.cards import card_request_create, card_request_open, card_saved_record
from oasys.payments.fake import FakePayments
from oasys.payments.models import AccountStatus, PaymentAccount
from oasys.payments.port import Charge, Event
from oasys.payments.webhooks import stripe_event_receive

CENT = Decimal("0.01")


def committed():
    """Run what the services queue for after commit (delivery, charges, emails, the
    webhook task) when the block ends, as a committing request would. For tests inside one
    test transaction (the `db` fixture, a Hypothesis machine)."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def account_active(fake: FakePayments, practice: Practice) -> PaymentAccount:
    acct = fake.account_create(email=f"owner@{practice.slug}.example",
                               business_name=practice.name,
                               metadata={"oasys_practice_id": str(practice.pk)},
                               idempotency_key=f"fake-world-account-{practice.pk}")
    fake.account_state_set(acct.id, "active")
    return PaymentAccount.objects.create(
        practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
        charges_enabled=True, payouts_enabled=True, details_submitted=True,
        business_name=practice.name)


def card_save(fake: FakePayments, account: PaymentAccount, client: Client, kind: str,
              ctx: AuditContext) -> None:
    """The client saves a card of `kind` (a name in the fake's _CARDS: "visa",
    "chargeCustomerFail", "authenticationRequired") on the hosted form, with the autopay
    authorization, and the product records it as its return page does."""
    req = card_request_create(client=client, ctx=ctx, send_email=False)
    session = card_request_open(token=req.token, consent=True)
    fake.setup_session_complete(account.stripe_account_id, session.id, card=kind)
    with committed():
        card_saved_record(account=account, session_id=session.id, ctx=ctx)


def hosted_pay(fake: FakePayments, account_id: str, invoice_id: str) -> list[Event]:
    """The client pays the rest of Stripe's invoice on its hosted page: the fake's copy is
    paid by a new charge (with Stripe's 2.9% + 30c fee). Answers the events Stripe sends
    for it (not delivered: the caller chooses when, and in what order). Nothing when the
    invoice takes no payment there."""
    remote = fake.invoices[(account_id, invoice_id)]
    if remote.status not in ("open", "uncollectible"):
        return []
    ch_id, pi = fake._id("ch"), fake._id("pi")  # noqa: SLF001 - the fake's own ids
    amount = remote.amount_remaining
    fee = (amount * Decimal("0.029")).quantize(CENT, ROUND_HALF_UP) + Decimal("0.30")
    fake.charges[(account_id, ch_id)] = Charge(
        id=ch_id, amount=amount, currency=remote.currency, status="succeeded", fee=fee,
        payment_intent_id=pi, invoice_id=remote.id, card_brand="visa", card_last4="4242",
        created=timezone.now(), receipt_url=f"https://pay.fake.test/receipts/{ch_id}",
        metadata=dict(remote.metadata))
    paid = dataclasses.replace(remote, status="paid", amount_paid=remote.total,
                               amount_remaining=Decimal("0.00"), payment_intent_id=pi,
                               charge_id=ch_id, paid_at=timezone.now())
    fake.invoices[(account_id, remote.id)] = paid
    obj = invoice_object(fake, account_id, remote.id)
    return [fake.event_emit("charge.succeeded", account_id,
                            {"id": ch_id, "object": "charge", "invoice": remote.id,
                             "payment_intent": pi, "amount": int(amount * 100)}),
            fake.event_emit("invoice.paid", account_id, obj),
            fake.event_emit("invoice.payment_succeeded", account_id, obj)]


def invoice_object(fake: FakePayments, account_id: str, invoice_id: str) -> dict[str, Any]:
    """`data.object` of an invoice event, as Stripe sends it (handlers fetch the invoice
    again: this names it)."""
    remote = fake.invoices[(account_id, invoice_id)]
    return {"id": invoice_id, "object": "invoice", "status": remote.status,
            "customer": fake._invoice_customer.get((account_id, invoice_id), ""),  # noqa: SLF001
            "metadata": dict(remote.metadata), "charge": remote.charge_id or None,
            "payment_intent": remote.payment_intent_id or None,
            "amount_paid": int(remote.amount_paid * 100),
            "amount_remaining": int(remote.amount_remaining * 100)}


def deliver(fake: FakePayments, event: Event) -> None:
    """Stripe posts the event to the product's receiver; its processing (queued on commit)
    runs at once."""
    body, header = fake.signed(event)
    with committed():
        stripe_event_receive(payload=body, signature=header)


def day_after(date: dt.date, days: int = 1) -> dt.datetime:
    """Noon UTC `days` after `date` (for the periodic runs' `now`)."""
    return timezone.make_aware(dt.datetime.combine(date + dt.timedelta(days=days),
                                                   dt.time(12)), dt.UTC)
