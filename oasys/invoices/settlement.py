"""The moves of an invoice that move money, each with its journal entries in the same
transaction as the status change: opening (the charge to the client) and a payment
(cash in, Stripe's fee, and Paid once nothing is owed). Everything that opens or pays an
invoice -- sending, charging a card, a webhook, a payment recorded by hand -- comes here, so
there is one way each happens and each happens once:

- an invoice opens once (the charge's journal key is the invoice's id);
- a payment is recorded once (`InvoicePayment.key`, unique per practice: `stripe:<charge>`
  for Stripe, whoever reports it first, the pay call or a webhook).

Refunds, voids and write-offs are in actions.py; they post through the ledger the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditAction, User
from oasys.core.money import ZERO, money
from oasys.core.timezones import practice_today
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import invoice_figures_one
from oasys.ledger.services import (
    ledger_post_client_payment,
    ledger_post_client_write_off,
    ledger_post_invoice_charge,
    ledger_post_processing_fee,
    ledger_reverse,
)

from .machine import INVOICE_MACHINE
from .models import Invoice, InvoicePayment, InvoiceStatus, PaymentMethod
from .receipts import receipt_email_queue

S = InvoiceStatus

# Statuses in which a payment is taken (Stripe accepts payment of an uncollectible invoice).
PAYABLE = frozenset({S.SENDING, S.OPEN, S.OVERDUE, S.UNCOLLECTIBLE})


def invoice_open(*, invoice: Invoice, ctx: AuditContext, actor: User | None = None,
                 source: str = "", reason: str = "sent", updates: dict | None = None
                 ) -> Invoice:
    """Sending -> Open: the invoice is out. In the same transaction its charge is posted to
    the journal (a session or standalone invoice; a client-responsibility invoice's share
    was moved to it when it was created). `updates` are other fields the delivery sets
    (the Stripe ids, `sent_at`). An invoice already open, or past it, is left as it is."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != S.SENDING:
            return locked
        if Invoice.practice.is_cached(invoice):  # the journal needs it: not read again
            locked.practice = invoice.practice
        INVOICE_MACHINE.transition(obj=locked, to=S.OPEN, ctx=ctx, actor=actor, source=source,
                                   reason=reason,
                                   updates={"sent_at": timezone.now(), "delivery_error": "",
                                            **(updates or {})}, held=True)
        # sets locked.total from the journal: with the move's values, the row as it stands
        ledger_post_invoice_charge(invoice=locked, ctx=ctx, actor=actor)
    return locked


@dataclass(frozen=True)
class PaymentIn:
    """A payment to apply to an invoice. `key` is its identity (see InvoicePayment.key)."""

    key: str
    method: str
    amount: Decimal
    received_on: dt.date | None = None
    fee: Decimal = ZERO
    reference: str = ""
    stripe_charge_id: str = ""
    card_brand: str = ""
    card_last4: str = ""
    note: str = ""


def stripe_payment_key(charge_id: str) -> str:
    return f"stripe:{charge_id}"


def payment_apply(*, invoice: Invoice, payment: PaymentIn, ctx: AuditContext,
                  actor: User | None = None, source: str = "") -> tuple[InvoicePayment, bool]:
    """Record one payment on the invoice, once: the InvoicePayment row, the payment and
    Stripe's fee in the journal, and the move to Paid when nothing is owed any more, all in
    one transaction. Returns (payment, created): a key already recorded returns the row
    recorded first and writes nothing.

    An invoice still Sending is opened first (its card was charged before the delivery
    finished); an Uncollectible one has its write-off reversed before the payment lands
    (what a part payment leaves is written off again: it stays Uncollectible).
    Refused (Conflict) for a Draft or a Void invoice: money for those is a mistake to look
    at, not to absorb (a Stripe charge on a voided invoice is refunded by staff)."""
    amount = money(payment.amount)
    if amount <= 0:
        raise InvalidInput({"amount": "A payment must be more than $0.00."})
    fee = money(payment.fee)
    if payment.method not in PaymentMethod.values:
        raise InvalidInput({"method": "Choose how the client paid."})
    key = payment.key.strip()[:120]
    if not key:
        raise InvalidInput("A payment needs its key (our id for it).")
    existing = InvoicePayment.objects.filter(practice_id=invoice.practice_id, key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
            if Invoice.practice.is_cached(invoice):  # the same practice: not read again
                locked.practice = invoice.practice
            if locked.status not in PAYABLE:
                raise Conflict(f"A {locked.get_status_display()} invoice takes no payment.")
            if locked.status == S.SENDING:
                locked = invoice_open(invoice=locked, ctx=ctx, actor=actor, source=source,
                                      reason="paid while being sent")
            was_uncollectible = locked.status == S.UNCOLLECTIBLE
            if was_uncollectible:
                _write_offs_reverse(invoice=locked, ctx=ctx, actor=actor)
            row = InvoicePayment.objects.create(
                practice_id=locked.practice_id, invoice=locked, key=key, method=payment.method,
                amount=amount, fee=fee,
                received_on=payment.received_on or practice_today(locked.practice),
                reference=payment.reference[:80], stripe_charge_id=payment.stripe_charge_id,
                card_brand=payment.card_brand, card_last4=payment.card_last4,
                note=payment.note[:200], created_by=actor, source=source[:80])
            ledger_post_client_payment(invoice=locked, amount=amount, ctx=ctx, reference=key,
                                       actor=actor)
            ledger_post_processing_fee(invoice=locked, amount=fee, ctx=ctx, reference=key,
                                       actor=actor)
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="invoice_payment",
                         client_id=locked.client_id, object_type="InvoicePayment",
                         object_id=row.pk,
                         detail={"invoice": locked.pk, "method": payment.method,
                                 "amount": str(amount)})
            figures = invoice_figures_one(practice=locked.practice, invoice=locked)
            if figures.balance > 0 and was_uncollectible:
                # part paid: what is still owed stays written off, as it was
                ledger_post_client_write_off(
                    invoice=locked, amount=figures.balance, ctx=ctx, actor=actor,
                    reason=f"still uncollectible after payment {row.pk}")
            if figures.balance <= 0:
                INVOICE_MACHINE.transition(
                    obj=locked, to=S.PAID, ctx=ctx, actor=actor, source=source,
                    reason=f"paid: {row.get_method_display()} {amount}",
                    updates={"paid_at": timezone.now(), "next_charge_at": None,
                             "decline_reason": ""}, held=True)
            # The client's receipt, once per payment recorded (actions: receipts.py).
            payment_id = row.pk
            transaction.on_commit(
                lambda: receipt_email_queue(payment_id=payment_id, ctx=ctx), robust=True)
    except IntegrityError:  # the same payment recorded a moment ago by another worker
        existing = InvoicePayment.objects.filter(practice_id=invoice.practice_id,
                                                 key=key).first()
        if existing is None:
            raise
        return existing, False
    invoice.refresh_from_db()
    return row, True


def _write_offs_reverse(*, invoice: Invoice, ctx: AuditContext, actor: User | None) -> None:
    """Undo the write-offs that marking the invoice uncollectible posted, so the payment
    meets a receivable again."""
    for entry in JournalEntry.objects.filter(practice_id=invoice.practice_id,
                                             invoice_id=invoice.pk, entry_type="write_off",
                                             reversed_by__isnull=True):
        ledger_reverse(entry=entry, reason="paid after being marked uncollectible", ctx=ctx,
                       actor=actor)
