"""Sending invoices: Draft -> Sending (the click), then the delivery (a Celery task):
the invoice's copy on the practice's Stripe account, finalized; the move to Open with its
charge in the journal; then either the card on file is charged (autopay: the client gets the
receipt) or the client is emailed the invoice (HTML and text, the hosted payment link when
the practice takes cards online, the PDF attached). And the reminder (Resend).

Delivery is at least once and makes everything once:
- the Stripe invoice is created through the idempotency ledger (`stripe_once`, key
  `oasys-invoice-<pk>-create`) and finalized under its own key, so a worker that died after
  Stripe made the invoice, a retry, or two workers at once end with one Stripe invoice;
- the move to Open (with its charge in the journal) happens once, under the row lock, for
  an invoice still Sending; then the card on file is charged through charging.py (one
  attempt, committed before Stripe is called and resumed by whoever finds it pending), and
  the invoice email is written under the row lock after checking none went, so the client
  is charged once and emailed once. An invoice found Open without either (opened by a
  webhook a moment before, or by a worker that died right after) is finished the same way;
- Stripe down or slow (RetryableError): the invoice stays Sending with the error in words
  and `delivery_attempts` counted; the task retries with a growing delay and the sweeper
  (`invoices_sending_sweep`, every two minutes) delivers again whatever was left behind;
- Stripe refusing (FinalError), or the client having no usable address: Sending -> Draft
  with `delivery_error`, for staff to fix and send again.

Practices without an active Stripe account still send: the invoice opens without a Stripe
copy and the email carries the PDF and how to pay the practice. Emails never carry a
diagnosis code: lines are their description, date and amount.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, DomainError, InvalidInput
from oasys.core.models import AuditAction, SentEmail, User
from oasys.core.money import dollars_text, money
from oasys.core.outbound_mail import email_send
from oasys.core.timezones import practice_today
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.cards import client_payment_profile_ensure
from oasys.payments.connection import payments_port
from oasys.payments.idempotency import idempotency_key, stripe_once
from oasys.payments.machine import PAYMENT_ACCOUNT_MACHINE
from oasys.payments.models import ClientPaymentProfile, PaymentAccount
from oasys.payments.port import InvoiceLine as RemoteLine
from oasys.payments.port import PaymentsError, RemoteInvoice, RetryableError
from oasys.payments.selectors import payment_account_get
from oasys.practice.models import ProviderProfile

from .charging import card_charge_refusal, card_charge_worth_trying, invoice_card_charge
from .machine import INVOICE_MACHINE
from .models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PaymentAttempt,
)
from .pdf import invoice_pdf
from .settlement import invoice_open

log = logging.getLogger(__name__)

S = InvoiceStatus

SOURCE = "invoice delivery"
# The Stripe metadata that names our invoice (the adapter copies it onto the payment).
META_ID = "oasys_invoice_id"
META_NUMBER = "oasys_invoice_number"
# An invoice Sending and untouched this long lost its kick or its worker: deliver it again.
SWEEP_AFTER = dt.timedelta(minutes=5)
# Opened (by a webhook, or by a worker that died right after) without its charge or email:
# finished by the sweeper when it was sent at most this long ago.
FOLLOW_UP_WINDOW = dt.timedelta(days=2)
SWEEP_BATCH = 500
# Backstop for the task's own retries; the sweeper keeps trying after them.
DELIVERY_TASK_RETRIES = 8


# --- Send (the click) -------------------------------------------------------------------
def _no_address(client) -> str:
    """Why the client cannot be emailed ("" when they can)."""
    address = (client.email or "").strip()
    if not address:
        return (f"{client.full_name} has no email address: add one in Client Billing → "
                f"Details before sending the invoice.")
    try:
        validate_email(address)
    except ValidationError:
        return (f"{client.full_name}'s email address is not valid: correct it in Client "
                f"Billing → Details before sending the invoice.")
    return ""


def invoice_deliver_enqueue(*, invoice_id: int) -> None:
    """Queue the delivery once the current transaction commits. A lost kick (a broker that
    is down, a crash right after commit) is harmless: the sweeper delivers it."""
    # tasks.py imports this module at its top: a real cycle, so the task is looked up here
    from .tasks import invoice_deliver_task  # noqa: PLC0415

    def kick() -> None:
        invoice_deliver_task.delay(invoice_id)

    transaction.on_commit(kick, robust=True)


def invoice_send(*, invoice: Invoice, ctx: AuditContext, actor: User | None = None,
                 source: str = "staff", enqueue: bool = True) -> Invoice:
    """Send a Draft: Draft -> Sending now, delivered by a worker after commit. Refused
    (Conflict, 409) unless the invoice is a Draft -- a second click, or two at once, finds
    it Sending under the row lock -- and (InvalidInput, 422) when the client has no email
    address, before anything moves. `enqueue=False` queues no delivery task: the caller
    delivers the invoice itself (auto-billing's deliver phase), and the sweeper delivers
    whatever a crash leaves Sending."""
    with transaction.atomic():
        # the invoice's row only: FOR UPDATE of a join would lock the client's row too
        locked = (Invoice.objects.select_for_update(of=("self",)).select_related("client")
                  .get(pk=invoice.pk, practice_id=invoice.practice_id))
        INVOICE_MACHINE.require_action(locked, "send")
        problem = _no_address(locked.client)
        if problem:
            raise InvalidInput({"email": problem})
        INVOICE_MACHINE.transition(
            obj=locked, to=S.SENDING, ctx=ctx, actor=actor, source=source, reason="sent",
            updates={"delivery_error": "", "delivery_attempts": 0,
                     "updated_at": timezone.now()}, held=True)
        if enqueue:
            invoice_deliver_enqueue(invoice_id=locked.pk)
    for name in ("status", "delivery_error", "delivery_attempts", "updated_at"):
        setattr(invoice, name, getattr(locked, name))
    return invoice


# --- Delivery (the task's body) -----------------------------------------------------------
class _Retry(Exception):
    """Stripe could not be reached: try again later."""


class _Final(Exception):
    """Delivery cannot succeed as things are: back to Draft with the reason."""


def _ctx(invoice: Invoice) -> AuditContext:
    return AuditContext.system(practice_id=invoice.practice_id, source=SOURCE)


def _stripe_words(exc: PaymentsError) -> str:
    if isinstance(exc, RetryableError):
        return "Stripe could not be reached or did not answer in time; sending is retried."
    return f"Stripe refused the invoice: {exc.message}"[:300]


def _classified(exc: Exception) -> Exception:
    """A port error, or a Conflict raised from one (payments' card services wrap them), as
    _Retry or _Final."""
    cause = exc if isinstance(exc, PaymentsError) else exc.__cause__
    if isinstance(cause, RetryableError):
        return _Retry(_stripe_words(cause))
    if isinstance(cause, PaymentsError):
        return _Final(_stripe_words(cause))
    message = exc.message if isinstance(exc, DomainError) else str(exc)
    return _Final(message[:300])


@dataclass
class _Delivery:
    """What one delivery read once and hands along (each is read at most once per run):
    the practice's payment account, the client's payment profile (read or made by the
    Stripe copy), the invoice's lines and Stripe's copy as finalize answered it."""

    account: PaymentAccount | None = None
    profile: ClientPaymentProfile | None = None
    remote: RemoteInvoice | None = None
    _lines: list[InvoiceLine] | None = None

    def lines(self, invoice: Invoice) -> list[InvoiceLine]:
        if self._lines is None:
            self._lines = list(invoice.lines.order_by("pk"))
        return self._lines


def _stripe_account_id(invoice: Invoice, run: _Delivery) -> str:
    """The practice's connected account if it takes payments now, else ""."""
    account = run.account = payment_account_get(practice=invoice.practice)
    if account is None or not account.stripe_account_id or \
            not PAYMENT_ACCOUNT_MACHINE.allows(account, "charge"):
        return ""
    return account.stripe_account_id


def _stripe_copy(invoice: Invoice, acct: str, run: _Delivery) -> RemoteInvoice:
    """The invoice on the practice's Stripe account, finalized (open, or already paid or
    further on): made once, whatever happened to earlier attempts."""
    port = payments_port()
    ctx = _ctx(invoice)
    try:
        profile = run.profile = client_payment_profile_ensure(
            client=invoice.client, ctx=ctx, account=run.account)
    except DomainError as exc:
        raise _classified(exc) from exc
    lines = [RemoteLine(description=line.description, amount=money(line.amount))
             for line in run.lines(invoice)]
    days = max(0, (invoice.due_date - practice_today(invoice.practice)).days)
    metadata = {META_ID: str(invoice.pk), META_NUMBER: invoice.number}
    customer = profile.stripe_customer_id
    try:
        remote = stripe_once(
            key=idempotency_key("invoice", invoice.pk, "create"), operation="invoice_create",
            practice=invoice.practice,
            create=lambda key: port.invoice_create(
                account_id=acct, customer_id=customer, lines=lines, currency="usd",
                days_until_due=days, metadata=metadata, idempotency_key=key),
            get=lambda iid: port.invoice_get(account_id=acct, invoice_id=iid))
        if remote.status == "draft":
            remote = port.invoice_finalize(
                account_id=acct, invoice_id=remote.id,
                idempotency_key=idempotency_key("invoice", invoice.pk, "finalize"))
    except PaymentsError as exc:
        raise _classified(exc) from exc
    if remote.status not in ("open", "paid"):
        raise _Final(f"The invoice is {remote.status} on Stripe, so it cannot be sent.")
    run.remote = remote
    return remote


def _emailed_q(invoice: Invoice) -> Exists:
    """Whether the invoice email went, as an EXISTS to read along with the invoice's row."""
    return Exists(SentEmail.objects.filter(practice_id=invoice.practice_id, kind="invoice",
                                           object_type="Invoice", object_id=str(invoice.pk)))


def invoice_deliver(*, invoice_id: int) -> Invoice | None:
    """Deliver a Sending invoice (the task's body; see the module docstring). Safe to run
    twice or at once: an invoice no longer Sending is left as it is, except one that is
    Open without its card charge or email yet (opened by a webhook, or by a worker that
    died just after), which is finished. Answers the invoice as it stands afterwards: still
    Sending with `delivery_error` when Stripe was unreachable (the task retries), Draft with
    `delivery_error` when the delivery cannot succeed, else Open (or Paid by the card)."""
    invoice = (Invoice.objects.select_related("client", "practice")
               .filter(pk=invoice_id).first())
    if invoice is None:
        return None
    run = _Delivery()
    invoice.client.practice = invoice.practice  # the same row: not read again through client
    if invoice.status == S.SENDING:
        try:
            problem = _no_address(invoice.client)
            if problem:
                raise _Final(problem)
            acct = _stripe_account_id(invoice, run)
            remote = _stripe_copy(invoice, acct, run) if acct else None
            opened = _open(invoice, acct=acct, remote=remote)
        except _Retry as exc:
            return _delivery_failed_for_now(invoice, str(exc))
        except _Final as exc:
            return _delivery_refused(invoice, str(exc))
        # invoice_open answers the row as it stands after the move (read under its lock):
        # no second read; the client and practice are the ones read above.
        opened.client, opened.practice = invoice.client, invoice.practice
        invoice = opened
    if invoice.status == S.OPEN and _follow_up(invoice, run):
        invoice.refresh_from_db()
    return invoice


def _open(invoice: Invoice, *, acct: str, remote: RemoteInvoice | None) -> Invoice:
    """Sending -> Open with the Stripe ids, the charge posted in the same transaction
    (settlement; a no-op for an invoice another worker opened first). Answers the row
    as it stands afterwards."""
    updates: dict = {"delivery_error": "", "updated_at": timezone.now()}
    if remote is not None:
        updates.update(stripe_account_id=acct, stripe_invoice_id=remote.id,
                       hosted_invoice_url=remote.hosted_invoice_url)
    return invoice_open(invoice=invoice, ctx=_ctx(invoice), source=SOURCE, reason="sent",
                        updates=updates)


def _follow_ups_done(invoice: Invoice) -> tuple[bool, PaymentAttempt | None]:
    """(the invoice email went, the card charge the delivery tried, if any): one query, and
    a second only when there is an attempt to read."""
    latest = (PaymentAttempt.objects.filter(invoice_id=invoice.pk, trigger=AttemptTrigger.SEND)
              .order_by("-number").values("pk")[:1])
    emailed, attempt_id = (Invoice.objects.filter(pk=invoice.pk)
                           .values_list(_emailed_q(invoice), Subquery(latest)).get())
    if emailed or attempt_id is None:
        return emailed, None
    return False, PaymentAttempt.objects.get(pk=attempt_id)


def _worth_trying(invoice: Invoice, run: _Delivery) -> bool:
    """Whether to try the card: a pre-check without the lock (the claim checks everything
    again under it). With the profile and account this run read for the Stripe copy, it
    reads nothing; for an invoice found Open, it is card_charge_refusal's full check."""
    if run.profile is None:
        return not card_charge_refusal(invoice=invoice, trigger=AttemptTrigger.SEND)
    return card_charge_worth_trying(invoice=invoice, trigger=AttemptTrigger.SEND,
                                    profile=run.profile, account=run.account)


def _follow_up(invoice: Invoice, run: _Delivery) -> bool:
    """After opening: charge the card on file when autopay applies (success: the receipt
    goes, not the invoice), else email the invoice -- with the decline or the request to
    confirm when the card was tried. Each once: the charge is charging's (one attempt,
    resumed if a worker died in it); the email is written under the row lock after
    checking none went. Answers whether the invoice row may have changed since `invoice`
    was read (a charge tried, an email refused): the caller reads it again then."""
    ctx = _ctx(invoice)
    emailed, attempt = _follow_ups_done(invoice)
    if emailed:
        return False
    tried = False
    if invoice.on_stripe and (attempt is None or attempt.outcome == AttemptOutcome.PENDING) \
            and _worth_trying(invoice, run):
        tried = True
        try:
            attempt = invoice_card_charge(invoice=invoice, trigger=AttemptTrigger.SEND,
                                          ctx=ctx, remote=run.remote)
        except Conflict as exc:  # e.g. the card was removed a moment ago: email instead
            log.info("invoice %s: no card charge on send (%s)", invoice.pk,
                     type(exc).__name__)
    if attempt is not None and attempt.outcome == AttemptOutcome.SUCCEEDED:
        return True
    with transaction.atomic():
        # Only the invoice's row is locked (not its client's or practice's, as a join would):
        # its status and whether the email went are read under it; the rest is as read above.
        status, emailed = (Invoice.objects.select_for_update().filter(pk=invoice.pk)
                           .values_list("status", _emailed_q(invoice)).get())
        if status not in (S.OPEN, S.OVERDUE) or emailed:
            return tried
        invoice.status = status
        try:
            # email_send refuses (InvalidInput) before it writes anything: no savepoint
            _invoice_email(invoice, ctx=ctx, kind="invoice", attempt=attempt, run=run)
        except InvalidInput as exc:  # the address changed since the check: staff fix it
            Invoice.objects.filter(pk=invoice.pk).update(
                delivery_error=f"The invoice email was not sent: {exc.message}"[:300],
                updated_at=timezone.now())
            return True
    return tried


def _delivery_failed_for_now(invoice: Invoice, words: str) -> Invoice:
    """Stripe unreachable: stay Sending, count the attempt, say why; retried."""
    Invoice.objects.filter(pk=invoice.pk, status=S.SENDING).update(
        delivery_error=words[:300], delivery_attempts=invoice.delivery_attempts + 1,
        updated_at=timezone.now())
    log.warning("invoice %s: delivery attempt %s failed, retrying", invoice.pk,
                invoice.delivery_attempts + 1)
    invoice.refresh_from_db()
    return invoice


def _delivery_refused(invoice: Invoice, words: str) -> Invoice:
    """Delivery cannot succeed: back to Draft with the reason, for staff to fix and send."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status == S.SENDING:
            INVOICE_MACHINE.transition(
                obj=locked, to=S.DRAFT, ctx=_ctx(locked), source=SOURCE,
                reason=f"not sent: {words}"[:500],
                updates={"delivery_error": words[:300],
                         "delivery_attempts": locked.delivery_attempts + 1,
                         "updated_at": timezone.now()}, held=True)
    log.warning("invoice %s: delivery refused, back to draft", invoice.pk)
    invoice.refresh_from_db()
    return invoice


def delivery_retry_due(invoice: Invoice | None) -> bool:
    """Whether the task should try the delivery again (Stripe was unreachable)."""
    return invoice is not None and invoice.status == S.SENDING and bool(invoice.delivery_error)


def delivery_backoff_seconds(attempts: int) -> int:
    """30 s, 1, 2, 4, 8 … minutes, at most an hour."""
    return min(3600, 30 * 2 ** max(0, attempts - 1))


# --- The sweeper ------------------------------------------------------------------------------
def invoices_sending_sweep(*, now: dt.datetime | None = None) -> int:
    """Deliver again every invoice left Sending (its kick lost, its worker dead, its
    retries spent) untouched for SWEEP_AFTER, and finish those opened without their card
    charge or email. Answers how many were queued."""
    now = now or timezone.now()
    stale = now - SWEEP_AFTER
    emailed = SentEmail.objects.filter(
        practice_id=OuterRef("practice_id"), kind="invoice", object_type="Invoice",
        object_id=Cast(OuterRef("pk"), output_field=CharField()))
    charged = PaymentAttempt.objects.filter(invoice_id=OuterRef("pk"),
                                            trigger=AttemptTrigger.SEND,
                                            outcome=AttemptOutcome.SUCCEEDED)
    ids = list(
        Invoice.objects
        .filter(Q(status=S.SENDING, updated_at__lt=stale)
                | Q(status=S.OPEN, sent_at__lt=stale, sent_at__gt=now - FOLLOW_UP_WINDOW))
        .exclude(Q(status=S.OPEN) & (Exists(emailed) | Exists(charged)))
        .order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in ids:
        invoice_deliver_enqueue(invoice_id=pk)
    return len(ids)


# --- The emails -------------------------------------------------------------------------------
def _dollars(amount: Decimal) -> str:
    return dollars_text(amount)


def _practice_contact(invoice: Invoice, profile: ProviderProfile | None) -> dict[str, str]:
    name = (profile.billing_name if profile else "") or invoice.practice.name
    phone = profile.contact_phone if profile else ""
    if len(phone) == 10 and phone.isdigit():
        phone = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    return {"name": name, "phone": phone,
            "email": profile.contact_email if profile else ""}


def _invoice_email(invoice: Invoice, *, ctx: AuditContext, kind: str,
                   attempt: PaymentAttempt | None = None,
                   run: _Delivery | None = None) -> SentEmail:
    """The invoice (kind "invoice") or a reminder of it (kind "reminder") to the client:
    HTML and text, the amount due, the due date, the lines (description, date, amount: no
    codes), the hosted payment link when on Stripe, else how to pay the practice, and the
    PDF attached. The email and its PDF share one read of the figures, the lines and the
    practice's profile (`run`: the delivery's lines, read once)."""
    run = run or _Delivery()
    figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    provider = ProviderProfile.objects.filter(practice_id=invoice.practice_id).first()
    contact = _practice_contact(invoice, provider)
    pay_url = invoice.hosted_invoice_url if invoice.on_stripe else ""
    invoice_lines = run.lines(invoice)
    lines = [{"date": line.service_date, "description": line.description,
              "amount": _dollars(line.amount)} for line in invoice_lines]
    reminder = kind == "reminder"
    today = practice_today(invoice.practice)
    subject = (f"Reminder: invoice {invoice.number} from {invoice.practice.name}" if reminder
               else f"Invoice {invoice.number} from {invoice.practice.name}")
    context = {
        "first_name": invoice.client.first_name, "number": invoice.number,
        "amount_due": _dollars(figures.balance), "total": _dollars(figures.total),
        "due_date": invoice.due_date, "overdue": invoice.due_date < today,
        "issue_date": invoice.issue_date, "lines": lines, "pay_url": pay_url,
        "contact": contact,
        # the card on file was tried on send: declined (the reason), or the bank asks the
        # client to confirm the payment on the hosted page
        "declined": attempt is not None and attempt.outcome == AttemptOutcome.DECLINED,
        "confirm": attempt is not None
        and attempt.outcome == AttemptOutcome.AUTHENTICATION_REQUIRED,
        "decline_reason": attempt.reason if attempt is not None else "",
    }
    pdf = invoice_pdf(invoice=invoice, pay_url=pay_url, figures=figures, lines=invoice_lines,
                      provider_profile=provider)
    reply_to = contact["email"] or None
    return email_send(
        practice=invoice.practice, to=invoice.client.email, subject=subject,
        template="email/invoice_reminder" if reminder else "email/invoice", context=context,
        ctx=ctx, kind=kind, attachments=[(f"Invoice {invoice.number}.pdf", pdf,
                                          "application/pdf")],
        object_type="Invoice", object_id=invoice.pk, client_id=invoice.client_id,
        reply_to=reply_to)


# --- Resend (a reminder) ----------------------------------------------------------------------
def invoice_resend(*, invoice: Invoice, ctx: AuditContext,
                   actor: User | None = None) -> SentEmail:
    """Email the client a reminder of an unpaid invoice (Open or Overdue; otherwise
    Conflict, 409): the hosted payment link and the PDF. The invoice's status does not
    change; the reminder is audited and listed with the invoice's emails."""
    with transaction.atomic():
        locked = (Invoice.objects.select_for_update()
                  .get(pk=invoice.pk, practice_id=invoice.practice_id))
        INVOICE_MACHINE.require_action(locked, "resend")
        locked = Invoice.objects.select_related("client", "practice").get(pk=locked.pk)
        problem = _no_address(locked.client)
        if problem:
            raise InvalidInput({"email": problem.replace("sending the invoice",
                                                         "sending a reminder")})
        try:
            email = _invoice_email(locked, ctx=ctx, kind="reminder")
        except InvalidInput as exc:  # e.g. the practice's reply-to address is not valid
            raise Conflict(exc.message) from exc
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice",
                     client_id=locked.client_id, object_type="Invoice", object_id=locked.pk,
                     detail={"action": "resend", "email": email.pk})
    return email
