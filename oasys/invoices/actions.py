"""What staff (and Stripe's events) do to an invoice after it exists: void it, mark it
uncollectible, record a payment taken by hand, refund a payment, ask the client for a card,
and the daily move of unpaid invoices past their due date to Overdue.

Each action asks the invoice machine first (`require_action`: a refusal is a Conflict that
says why), then Stripe when the invoice has a Stripe copy, and only then changes anything
here: the status change and its journal entries in one transaction. A Stripe error leaves
the invoice as it was and answers as `payments.refusals` maps it (409).

Rows that staff create (a payment, a refund) take a `token` (the form's hidden uuid, the
API's Idempotency-Key): the same token twice records once, and a refund's Stripe call carries
`idempotency_key("refund", <row id>)`, so a double click makes one Stripe refund.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, DomainError, InvalidInput, NotFound
from oasys.core.models import AuditAction, Practice, User
from oasys.core.money import ZERO, dollars_text, money
from oasys.core.timezones import practice_date, practice_today
from oasys.ledger.models import Account, EntryType, JournalLine
from oasys.ledger.selectors import invoice_figures_one
from oasys.ledger.services import (
    ledger_post_client_write_off,
    ledger_post_invoice_void,
    ledger_post_refund,
)
from oasys.payments.cards import card_request_create
from oasys.payments.connection import payments_port
from oasys.payments.idempotency import idempotency_key, stripe_request_get_or_start
from oasys.payments.models import CardRequest, StripeRequest
from oasys.payments.port import FinalError, PaymentsError, RetryableError
from oasys.payments.refusals import payments_refusal
from oasys.payments.selectors import payment_account_get

from .amounts import AmountError, amount_parse
from .machine import INVOICE_MACHINE
from .models import (
    MANUAL_METHODS,
    Invoice,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentMethod,
    RefundStatus,
)
from .settlement import PaymentIn, payment_apply

log = logging.getLogger(__name__)

S = InvoiceStatus

REFUND_FIRST = ("Money was paid on this invoice: refund the payment first, then void it "
                "(or leave it paid).")
OUT_OF_BAND_OPERATION = "invoice_pay_out_of_band"
# A pending Stripe refund or out-of-band marking younger than this may still be in flight in
# the request that started it; the periodic retry leaves it alone until then.
RETRY_AFTER = dt.timedelta(minutes=2)


# --- helpers ------------------------------------------------------------------------------------
def _amount(value: object) -> Decimal:
    try:
        return amount_parse(value)
    except AmountError as exc:
        raise InvalidInput({"amount": str(exc)}) from exc


def _token(token: object) -> str:
    text = str(token or "").strip()
    if not text:
        raise InvalidInput("This form has expired: reload the page and try again.")
    return text[:80]


def _dollars(amount: Decimal) -> str:
    return dollars_text(amount)


def _stripe_account_id(invoice: Invoice) -> str:
    """The connected account the invoice's Stripe objects live on."""
    if invoice.stripe_account_id:
        return invoice.stripe_account_id
    account = payment_account_get(practice=invoice.practice)
    return account.stripe_account_id if account is not None else ""


def _remote_status(invoice: Invoice) -> str:
    """Stripe's status of the invoice's copy, "" when it cannot be read."""
    try:
        return payments_port().invoice_get(account_id=invoice.stripe_account_id,
                                           invoice_id=invoice.stripe_invoice_id).status
    except PaymentsError:
        return ""


def _stripe_move(invoice: Invoice, *, call: str, step: str, done: frozenset[str]) -> None:
    """Void / mark uncollectible the invoice's Stripe copy. A refusal because Stripe's copy
    is already where we want it (`done`: a webhook's move, a retry after our own transaction
    failed, a Stripe draft that nobody can see or pay) is no refusal."""
    port = payments_port()
    try:
        getattr(port, call)(account_id=invoice.stripe_account_id,
                            invoice_id=invoice.stripe_invoice_id,
                            idempotency_key=idempotency_key("invoice", invoice.pk, step))
    except RetryableError as exc:
        raise payments_refusal(exc) from exc
    except PaymentsError as exc:
        if _remote_status(invoice) in done:
            return
        raise payments_refusal(exc) from exc


def _owed(invoice: Invoice) -> Decimal:
    """What the client owes on the invoice: its balance, plus what marking it uncollectible
    wrote off (a payment reverses those write-offs, see settlement)."""
    figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    written_off = (JournalLine.objects
                   .filter(practice_id=invoice.practice_id, invoice_id=invoice.pk,
                           account=Account.AR_CLIENT, entry__entry_type=EntryType.WRITE_OFF,
                           entry__reversed_by__isnull=True)
                   .aggregate(x=Sum("credit"))["x"] or ZERO)
    return money(figures.balance + written_off)


# --- void and uncollectible ---------------------------------------------------------------------
def invoice_void(*, invoice: Invoice, ctx: AuditContext, actor: User | None = None,
                 reason: str = "", source: str = "staff", from_stripe: bool = False) -> Invoice:
    """Void the invoice (Draft, Open, Overdue or Uncollectible): the client no longer owes
    it. Refused when anything was paid on it (refund first). On Stripe the copy is voided
    first; then the move to Void and the journal's reversal of what is open post together.
    `from_stripe`: Stripe already voided it (a webhook), so Stripe is not called, and an
    invoice already Void is left as it is."""
    invoice = Invoice.objects.select_related("practice").get(pk=invoice.pk,
                                                             practice_id=invoice.practice_id)
    if from_stripe and invoice.status == S.VOID:
        return invoice
    INVOICE_MACHINE.require_action(invoice, "void")
    if invoice_figures_one(practice=invoice.practice, invoice=invoice).paid > 0:
        raise Conflict(REFUND_FIRST)
    if invoice.on_stripe and not from_stripe:
        _stripe_move(invoice, call="invoice_void", step="void",
                     done=frozenset({"void", "draft"}))
    reason = reason.strip()[:300]
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("practice").get(
            pk=invoice.pk)
        if from_stripe and locked.status == S.VOID:
            return locked
        INVOICE_MACHINE.require_action(locked, "void")  # moved while Stripe was asked
        if invoice_figures_one(practice=locked.practice, invoice=locked).paid > 0:
            raise Conflict(REFUND_FIRST)
        INVOICE_MACHINE.transition(obj=locked, to=S.VOID, ctx=ctx, actor=actor, source=source,
                                   reason=reason or "voided",
                                   updates={"next_charge_at": None}, held=True)
        ledger_post_invoice_void(invoice=locked, ctx=ctx, reason=reason, actor=actor)
    locked.refresh_from_db()
    return locked


def invoice_mark_uncollectible(*, invoice: Invoice, ctx: AuditContext,
                               actor: User | None = None, reason: str = "",
                               source: str = "staff", from_stripe: bool = False) -> Invoice:
    """Open or Overdue -> Uncollectible, by hand or after the retry schedule's last failed
    charge (source "retry schedule"): what is owed is written off in the journal in the same
    transaction (a later payment reverses the write-off). On Stripe the copy is marked
    uncollectible first, unless Stripe told us (`from_stripe`)."""
    invoice = Invoice.objects.select_related("practice").get(pk=invoice.pk,
                                                             practice_id=invoice.practice_id)
    if from_stripe and invoice.status == S.UNCOLLECTIBLE:
        return invoice
    INVOICE_MACHINE.require_action(invoice, "mark_uncollectible")
    if invoice.on_stripe and not from_stripe:
        _stripe_move(invoice, call="invoice_mark_uncollectible", step="uncollectible",
                     done=frozenset({"uncollectible"}))
    reason = reason.strip()[:300] or (
        "the last scheduled card retry failed" if source == "retry schedule"
        else "marked uncollectible")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("practice").get(
            pk=invoice.pk)
        if from_stripe and locked.status == S.UNCOLLECTIBLE:
            return locked
        INVOICE_MACHINE.require_action(locked, "mark_uncollectible")
        INVOICE_MACHINE.transition(obj=locked, to=S.UNCOLLECTIBLE, ctx=ctx, actor=actor,
                                   source=source, reason=reason,
                                   updates={"next_charge_at": None}, held=True)
        owed = invoice_figures_one(practice=locked.practice, invoice=locked).balance
        if owed > 0:
            ledger_post_client_write_off(invoice=locked, amount=owed, reason=reason, ctx=ctx,
                                         actor=actor)
    locked.refresh_from_db()
    return locked


# --- payments taken by hand ----------------------------------------------------------------------
def _received_on(value: object, practice: Practice) -> dt.date:
    today = practice_today(practice)
    if value in (None, ""):
        return today
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise InvalidInput({"received_on": "Enter the date as YYYY-MM-DD."}) from exc
    if not isinstance(value, dt.date):
        raise InvalidInput({"received_on": "Enter the date as YYYY-MM-DD."})
    if value > today:
        raise InvalidInput({"received_on": "The date received cannot be in the future."})
    return value


def manual_payment_key(invoice_id: int, token: str) -> str:
    return f"manual:{invoice_id}:{token}"


def invoice_record_payment(*, invoice: Invoice, amount: object, method: str,
                           received_on: object, reference: str = "", note: str = "",
                           token: str, ctx: AuditContext,
                           actor: User | None = None) -> InvoicePayment:
    """A payment taken by cash, check or another way, at most what is owed. The same token
    twice records it once (and answers the row recorded first). When it pays the invoice in
    full and the invoice is on Stripe, Stripe is told it was paid out of band (after commit;
    a failure there is retried, the payment stays recorded)."""
    key = manual_payment_key(invoice.pk, _token(token))
    existing = InvoicePayment.objects.filter(practice_id=invoice.practice_id, key=key).first()
    if existing is not None:
        return existing
    if method not in MANUAL_METHODS:
        raise InvalidInput({"method": "Choose cash, check or other: card payments come "
                                      "through Stripe."})
    value = _amount(amount)
    invoice = Invoice.objects.select_related("practice").get(pk=invoice.pk,
                                                             practice_id=invoice.practice_id)
    INVOICE_MACHINE.require_action(invoice, "record_payment")
    day = _received_on(received_on, invoice.practice)
    with transaction.atomic():
        # Locked so two payments recorded at once cannot both fit under what is owed.
        locked = Invoice.objects.select_for_update().select_related("practice").get(
            pk=invoice.pk)
        INVOICE_MACHINE.require_action(locked, "record_payment")
        owed = _owed(locked)
        if value > owed:
            raise InvalidInput({"amount": f"Only {_dollars(owed)} is owed on this invoice: "
                                          f"{_dollars(value)} would overpay it."})
        payment, created = payment_apply(
            invoice=locked, ctx=ctx, actor=actor, source="staff",
            payment=PaymentIn(key=key, method=method, amount=value, received_on=day,
                              reference=str(reference or "").strip()[:80],
                              note=str(note or "").strip()[:200]))
        locked.refresh_from_db()
        if created and locked.status == S.PAID and locked.on_stripe:
            # The marking is recorded with the payment; the call is made after commit and
            # retried by `invoices_stripe_retries_run` until Stripe has it.
            stripe_request_get_or_start(key=_out_of_band_key(locked.pk),
                                        operation=OUT_OF_BAND_OPERATION,
                                        practice=locked.practice)
            invoice_id = locked.pk
            transaction.on_commit(lambda: invoice_stripe_paid_out_of_band(
                invoice_id=invoice_id), robust=True)
    return payment


def _out_of_band_key(invoice_id: int) -> str:
    return idempotency_key("invoice", invoice_id, "paid-out-of-band")


def invoice_stripe_paid_out_of_band(*, invoice_id: int) -> bool:
    """Tell Stripe the invoice was paid another way, so its hosted page stops asking. True
    when Stripe has it (or has nothing left to ask: it is paid or void there); False when
    Stripe could not be reached (the recorded request is retried later)."""
    invoice = Invoice.objects.get(pk=invoice_id)
    key = _out_of_band_key(invoice_id)
    row = StripeRequest.objects.filter(key=key).first()
    if row is None or row.completed_at is not None:
        return True
    try:
        payments_port().invoice_pay_out_of_band(
            account_id=invoice.stripe_account_id, invoice_id=invoice.stripe_invoice_id,
            idempotency_key=key)
    except RetryableError:
        log.warning("invoice %s: Stripe unreachable marking it paid out of band; retried "
                    "later", invoice_id)
        return False
    except PaymentsError as exc:
        status = _remote_status(invoice)
        if status not in ("paid", "void"):
            log.warning("invoice %s: Stripe refused marking it paid out of band (%s); "
                        "retried later", invoice_id, getattr(exc, "code", ""))
            return False
    StripeRequest.objects.filter(pk=row.pk).update(object_id=invoice.stripe_invoice_id,
                                                   completed_at=timezone.now())
    return True


# --- refunds --------------------------------------------------------------------------------------
def _refunded_on(payment: InvoicePayment) -> Decimal:
    """What is refunded, or being refunded, on a payment (failed refunds gave nothing back)."""
    total = (payment.refunds.exclude(status=RefundStatus.FAILED)
             .aggregate(x=Sum("amount"))["x"] or ZERO)
    return money(total)


def _refundable(payment: InvoicePayment) -> Decimal:
    return money(payment.amount - _refunded_on(payment))


def _is_stripe(payment: InvoicePayment) -> bool:
    return bool(payment.stripe_charge_id)


def _refund_post(*, refund: InvoiceRefund, ctx: AuditContext, actor: User | None) -> None:
    ledger_post_refund(invoice=refund.invoice, amount=refund.amount, ctx=ctx,
                       reference=refund.key, actor=actor)


def refund_key(invoice_id: int, token: str) -> str:
    return f"refund:{invoice_id}:{token}"


def invoice_refund(*, invoice: Invoice, amount: object, reason: str, token: str,
                   ctx: AuditContext, actor: User | None = None,
                   payment_id: int | None = None) -> InvoiceRefund:
    """Give back part or all of what was paid on a Paid invoice (it stays Paid; the journal
    shows the refund). `payment_id` picks the payment, else the latest card payment with
    money left to refund, else the latest payment. A card or online payment is refunded on
    Stripe: the row is committed pending first and its id is the Stripe idempotency key, so
    a retry (the same token, or the periodic retry) refunds once; a Stripe refusal fails the
    row with Stripe's reason and posts nothing. A cash or check payment is recorded as given
    back by hand and posted at once."""
    key = refund_key(invoice.pk, _token(token))
    existing = InvoiceRefund.objects.filter(practice_id=invoice.practice_id, key=key).first()
    if existing is not None:
        return _refund_resume(refund=existing, ctx=ctx, actor=actor)
    invoice = Invoice.objects.select_related("practice").get(pk=invoice.pk,
                                                             practice_id=invoice.practice_id)
    INVOICE_MACHINE.require_action(invoice, "refund")
    value = _amount(amount)
    reason = str(reason or "").strip()[:200]
    try:
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
            payments = list(InvoicePayment.objects.filter(
                practice_id=locked.practice_id, invoice=locked).order_by("-created_at", "-pk"))
            left = {p.pk: _refundable(p) for p in payments}
            total_left = money(sum(left.values(), ZERO))
            if value > total_left:
                raise InvalidInput({"amount": f"At most {_dollars(total_left)} can be "
                                              f"refunded on this invoice."})
            payment = _refund_payment(payments, left, payment_id)
            if value > left[payment.pk]:
                raise InvalidInput({"amount": f"At most {_dollars(left[payment.pk])} can be "
                                              f"refunded on this payment."})
            by_stripe = _is_stripe(payment)
            refund = InvoiceRefund.objects.create(
                practice_id=locked.practice_id, invoice=locked, payment=payment, key=key,
                amount=value, reason=reason, created_by=actor, source="staff",
                status=RefundStatus.PENDING if by_stripe else RefundStatus.SUCCEEDED)
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="invoice_refund",
                         client_id=locked.client_id, object_type="InvoiceRefund",
                         object_id=refund.pk,
                         detail={"invoice": locked.pk, "payment": payment.pk,
                                 "amount": str(value), "stripe": by_stripe})
            if not by_stripe:  # money given back by hand: nothing to ask anyone
                _refund_post(refund=refund, ctx=ctx, actor=actor)
    except IntegrityError:  # the same token a moment ago, in another request
        existing = InvoiceRefund.objects.filter(practice_id=invoice.practice_id,
                                                key=key).first()
        if existing is None:
            raise
        return _refund_resume(refund=existing, ctx=ctx, actor=actor)
    if not by_stripe:
        return refund
    return refund_stripe_send(refund=refund, ctx=ctx, actor=actor)


def _refund_payment(payments: list[InvoicePayment], left: dict[int, Decimal],
                    payment_id: int | None) -> InvoicePayment:
    if payment_id is not None:
        for p in payments:
            if str(p.pk) == str(payment_id):
                return p
        raise NotFound("This invoice has no such payment.")
    with_money = [p for p in payments if left[p.pk] > 0]
    cards = [p for p in with_money if p.method in (PaymentMethod.CARD, PaymentMethod.ONLINE)]
    return (cards or with_money)[0]


def _refund_resume(*, refund: InvoiceRefund, ctx: AuditContext,
                   actor: User | None) -> InvoiceRefund:
    """The same token again: a pending Stripe refund is sent again under its key (Stripe
    answers the first refund); a failed one repeats its reason."""
    if refund.status == RefundStatus.PENDING:
        return refund_stripe_send(refund=refund, ctx=ctx, actor=actor)
    if refund.status == RefundStatus.FAILED:
        raise Conflict(f"This refund was refused by Stripe: {refund.error}")
    return refund


def refund_stripe_send(*, refund: InvoiceRefund, ctx: AuditContext,
                       actor: User | None = None) -> InvoiceRefund:
    """Make the pending refund on Stripe (once: its key is the row's id) and record what
    Stripe answered. Unreachable: the row stays pending (retried) and StripeUnavailable is
    raised; refused: the row fails with Stripe's words and StripeRefused is raised."""
    refund = InvoiceRefund.objects.select_related("invoice", "invoice__practice",
                                                  "payment").get(pk=refund.pk)
    if refund.status != RefundStatus.PENDING:
        return refund
    try:
        made = payments_port().refund_create(
            account_id=_stripe_account_id(refund.invoice),
            charge_id=refund.payment.stripe_charge_id, amount=money(refund.amount),
            idempotency_key=idempotency_key("refund", refund.pk))
    except RetryableError as exc:
        log.warning("refund %s: Stripe unreachable, left pending", refund.pk)
        raise payments_refusal(exc) from exc
    except FinalError as exc:
        InvoiceRefund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
            status=RefundStatus.FAILED, error=exc.message[:300])
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice_refund",
                     client_id=refund.invoice.client_id, object_type="InvoiceRefund",
                     object_id=refund.pk, detail={"status": "failed"})
        raise payments_refusal(exc) from exc
    return _refund_complete(refund=refund, stripe_refund_id=made.id, ctx=ctx, actor=actor)


def _refund_complete(*, refund: InvoiceRefund, stripe_refund_id: str, ctx: AuditContext,
                     actor: User | None) -> InvoiceRefund:
    """Stripe made the refund: the row succeeds and the refund posts, once (whoever reports
    it first, our call or the charge.refunded webhook)."""
    with transaction.atomic():
        row = InvoiceRefund.objects.select_for_update().select_related(
            "invoice", "invoice__practice").get(pk=refund.pk)
        if row.status != RefundStatus.SUCCEEDED:
            row.status = RefundStatus.SUCCEEDED
            row.stripe_refund_id = row.stripe_refund_id or stripe_refund_id
            row.error = ""
            InvoiceRefund.objects.filter(pk=row.pk).update(
                status=row.status, stripe_refund_id=row.stripe_refund_id, error="")
            audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice_refund",
                         client_id=row.invoice.client_id, object_type="InvoiceRefund",
                         object_id=row.pk, detail={"status": "succeeded"})
        _refund_post(refund=row, ctx=ctx, actor=actor)
    return row


def refund_from_stripe_record(*, invoice: Invoice, stripe_refund_id: str, charge_id: str,
                              amount: object, ctx: AuditContext,
                              source: str) -> InvoiceRefund:
    """A refund Stripe reports (charge.refunded / refund.*: made by us, or by someone on
    Stripe's dashboard), recorded once (stripe_refund_id is unique) and posted. Ours still
    pending (its answer not recorded yet) is the pending row on the same charge for the same
    amount, which completes. NotFound when the charge paid nothing on this invoice."""
    stripe_refund_id = (stripe_refund_id or "").strip()
    if not stripe_refund_id:
        raise InvalidInput("A Stripe refund needs its id.")
    value = money(amount if isinstance(amount, Decimal) else _amount(amount))
    known = InvoiceRefund.objects.filter(practice_id=invoice.practice_id,
                                         stripe_refund_id=stripe_refund_id).first()
    if known is not None:
        return _refund_complete(refund=known, stripe_refund_id=stripe_refund_id, ctx=ctx,
                                actor=None)
    payment = InvoicePayment.objects.filter(
        Q(stripe_charge_id=charge_id) | Q(key=f"stripe:{charge_id}"),
        practice_id=invoice.practice_id, invoice_id=invoice.pk).first()
    if not charge_id or payment is None:
        raise NotFound("No payment on this invoice was made with that Stripe charge.")
    ours = (InvoiceRefund.objects.filter(practice_id=invoice.practice_id, payment=payment,
                                         status=RefundStatus.PENDING, stripe_refund_id="",
                                         amount=value)
            .order_by("created_at", "pk").first())
    if ours is not None:
        return _refund_complete(refund=ours, stripe_refund_id=stripe_refund_id, ctx=ctx,
                                actor=None)
    try:
        with transaction.atomic():
            row = InvoiceRefund.objects.create(
                practice_id=invoice.practice_id, invoice_id=invoice.pk, payment=payment,
                key=f"stripe-refund:{stripe_refund_id}"[:120], amount=value,
                reason="refunded on Stripe", status=RefundStatus.SUCCEEDED,
                stripe_refund_id=stripe_refund_id, source=source[:80])
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="invoice_refund",
                         client_id=invoice.client_id, object_type="InvoiceRefund",
                         object_id=row.pk,
                         detail={"invoice": invoice.pk, "payment": payment.pk,
                                 "amount": str(value), "source": source[:80]})
            _refund_post(refund=row, ctx=ctx, actor=None)
    except IntegrityError:  # reported twice at the same moment (two webhooks)
        known = InvoiceRefund.objects.filter(practice_id=invoice.practice_id,
                                             stripe_refund_id=stripe_refund_id).first()
        if known is None:
            raise
        return known
    return row


# --- a card for the client -----------------------------------------------------------------------
def invoice_request_payment_method(*, invoice: Invoice, ctx: AuditContext,
                                   actor: User | None = None,
                                   charge_open_invoices: bool = False) -> CardRequest:
    """Email the client a Stripe-hosted link to save a card (it becomes the default); with
    `charge_open_invoices`, their open invoices are charged once it is saved."""
    INVOICE_MACHINE.require_action(invoice, "request_payment_method")
    client = invoice.client
    return card_request_create(client=client, ctx=ctx, send_email=True, user=actor,
                               charge_open_invoices=charge_open_invoices)


# --- periodic runs --------------------------------------------------------------------------------
OVERDUE_SOURCE = "daily overdue run"


def invoices_overdue_mark(*, now: dt.datetime | None = None) -> int:
    """Open invoices whose due date is before the practice's own today -> Overdue. Safe to
    run any number of times (an Overdue invoice is not Open any more). Answers how many
    moved."""
    now = now or timezone.now()
    moved = 0
    # No practice's today is more than a day past UTC's: a coarse filter, then each
    # practice's own date.
    candidates = (Invoice.objects.filter(status=S.OPEN,
                                         due_date__lt=now.date() + dt.timedelta(days=2))
                  .select_related("practice").order_by("practice_id", "pk"))
    for invoice in candidates.iterator():
        today = practice_date(now, invoice.practice)
        if invoice.due_date >= today:
            continue
        ctx = AuditContext.system(practice_id=invoice.practice_id, source=OVERDUE_SOURCE)
        if INVOICE_MACHINE.try_transition(obj=invoice, to=S.OVERDUE, ctx=ctx,
                                          source=OVERDUE_SOURCE,
                                          reason=f"not paid by its due date "
                                                 f"{invoice.due_date.isoformat()}"):
            moved += 1
    return moved


def invoices_stripe_retries_run(*, now: dt.datetime | None = None) -> int:
    """Stripe calls an action left unfinished because Stripe could not be reached: out-of-band
    markings of invoices paid by hand, and pending refunds (sent again under the same key,
    so Stripe refunds once). Answers how many finished."""
    before = (now or timezone.now()) - RETRY_AFTER
    done = 0
    for key in (StripeRequest.objects.filter(operation=OUT_OF_BAND_OPERATION,
                                             completed_at__isnull=True, created_at__lt=before)
                .values_list("key", flat=True)):
        invoice_id = int(key.split("-")[2])
        if invoice_stripe_paid_out_of_band(invoice_id=invoice_id):
            done += 1
    for refund in (InvoiceRefund.objects.filter(status=RefundStatus.PENDING,
                                                created_at__lt=before)
                   .select_related("invoice")):
        ctx = AuditContext.system(practice_id=refund.practice_id, source="stripe retries")
        try:
            refund_stripe_send(refund=refund, ctx=ctx)
        except DomainError:  # still unreachable (stays pending), or refused (now failed)
            continue
        done += 1
    return done
