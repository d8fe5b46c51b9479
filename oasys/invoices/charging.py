"""Charging the client's card on file for an invoice: when it is sent (autopay), on the
practice's retry schedule after a decline, when the client saves a new card, or when staff
charge it. Each try is a `PaymentAttempt`.

Exactly one charge per attempt, however many workers run it:
- the attempt row (pending, numbered per invoice, unique) is committed BEFORE Stripe is
  called, and its number is in the idempotency key (`oasys-invoice-<pk>-attempt-<n>`), so a
  worker that runs the same attempt again (a retried task, a double click, a crash
  half-way) sends the same key and Stripe answers the first charge again;
- while an attempt is pending, a new charge of the invoice resumes it instead of making a
  new one; a pending attempt leaves `next_charge_at` a short lease ahead, so one abandoned
  by a crashed worker is resumed by the retry run;
- the retry run claims a due invoice by moving its `next_charge_at` in the transaction that
  starts the attempt, so the same run twice makes one new attempt;
- before paying, Stripe's copy of the invoice is read: one already paid (the client paid
  on the hosted page, or an earlier attempt whose answer was lost) is recorded, not charged
  again; Stripe itself never pays one invoice twice.
- a payment is recorded once (`settlement.payment_apply`, keyed by the Stripe charge), and
  an attempt's outcome is written once (only while it is still pending).

After a decline the invoice stays Open with the reason in words, the client is emailed the
hosted link, and the next try is scheduled from the practice's retry days (counted from the
first decline, at 9 in the practice's morning). After the last scheduled retry fails the
invoice is marked Uncollectible. `authentication_required` is not retried: the client is
asked to confirm the payment on the hosted page. Three declines in a row for a client
(across invoices, since the last success or the card's saving) pause the client's autopay
and tell the practice's owners.

Call these outside a transaction: the attempt must be committed before Stripe is called.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, NotFound
from oasys.core.models import AuditAction, Role, User
from oasys.core.money import ZERO, dollars_text, money
from oasys.core.outbound_mail import email_send
from oasys.core.timezones import practice_date, practice_zone
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.cards import autopay_pause, cards_unavailable_reason
from oasys.payments.connection import payments_port
from oasys.payments.declines import decline_words
from oasys.payments.hooks import card_saved_listener_add
from oasys.payments.idempotency import idempotency_key
from oasys.payments.models import CardRequest, ClientPaymentProfile, PaymentAccount
from oasys.payments.port import CardError, Charge, FinalError, RemoteInvoice, RetryableError

from .actions import invoice_mark_uncollectible
from .models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
)
from .selectors import invoice_settings_get
from .settlement import PaymentIn, payment_apply, stripe_payment_key

log = logging.getLogger(__name__)

S = InvoiceStatus
T = AttemptTrigger
O = AttemptOutcome  # noqa: E741 - the outcome enum, as S is the status one

# Statuses in which the card may be charged (Stripe takes payment of an uncollectible
# invoice; only staff charge one, the automatic triggers only look at unpaid ones).
CHARGEABLE = frozenset({S.OPEN, S.OVERDUE, S.UNCOLLECTIBLE})
UNPAID = frozenset({S.OPEN, S.OVERDUE})
# Triggers that charge without a person deciding to now. Autopay's pause stops these.
AUTOMATIC = frozenset({T.SEND, T.RETRY, T.CARD_SAVED})
# Declines in a row (for one client, across invoices) that pause the client's autopay.
PAUSE_AFTER_DECLINES = 3
# A pending attempt's lease: the retry run resumes an attempt left pending this long.
IN_FLIGHT_LEASE = dt.timedelta(minutes=15)
# Stripe could not be reached: try again soon, backing off while it stays down.
ERROR_RETRY_FIRST = dt.timedelta(minutes=15)
ERROR_RETRY_MOST = dt.timedelta(hours=12)
# Scheduled retries happen at this hour of the practice's morning.
MORNING = dt.time(9, 0)
# Invoices one retry run takes (the next run, 15 minutes later, takes the rest).
RETRY_BATCH = 500

STRIPE_UNREACHABLE = "Stripe could not be reached; the card will be tried again shortly."


# --- may the card be charged? ------------------------------------------------------------------


def _profile_for(invoice: Invoice) -> ClientPaymentProfile | None:
    return (ClientPaymentProfile.objects.select_related("account")
            .filter(practice_id=invoice.practice_id, client_id=invoice.client_id).first())


def _owed(invoice: Invoice) -> Decimal:
    """What the card would be charged: the invoice's total less what was paid (and what was
    moved to a secondary payer), ignoring a write-off (an Uncollectible invoice still owes
    it, as Stripe's copy does)."""
    f = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    return money(f.total - f.paid - f.moved_to_insurance)


def card_charge_refusal(*, invoice: Invoice, trigger: str) -> str:
    """Why the client's card on file may not be charged for this invoice now, in words for
    staff ("" when a charge may be tried)."""
    return _refusal(invoice=invoice, trigger=trigger)[0]


def card_charge_worth_trying(*, invoice: Invoice, trigger: str,
                             profile: ClientPaymentProfile,
                             account: PaymentAccount | None) -> bool:
    """A pre-check without the lock, for a caller about to charge (the delivery) that has
    the client's profile and the practice's account in hand: False when one of the
    refusals is certain from them and the invoice as read, True when the charge should be
    tried -- the claim then checks everything (what is owed too) under the row lock, and a
    refusal there is a Conflict. Reads nothing."""
    if trigger not in T.values or invoice.status not in CHARGEABLE or not invoice.on_stripe:
        return False
    if trigger in AUTOMATIC and invoice.status not in UNPAID:
        return False
    if not profile.has_card or profile.customer_deleted_at is not None or \
            profile.autopay_consent_at is None or \
            profile.account.stripe_account_id != invoice.stripe_account_id:
        return False
    if trigger in AUTOMATIC and trigger != T.RETRY and profile.autopay_paused_at is not None:
        return False
    return account is not None and not cards_unavailable_reason(practice=invoice.practice,
                                                                account=account)


def _refusal(*, invoice: Invoice, trigger: str
             ) -> tuple[str, Decimal | None, ClientPaymentProfile | None]:
    """(card_charge_refusal's words, what is owed, the profile) -- the last two as far as
    they were read: with no refusal, both are (the claim uses them rather than read them
    again)."""
    owed: Decimal | None = None
    profile: ClientPaymentProfile | None = None
    if trigger not in T.values:
        return f"Unknown reason to charge a card: {trigger!r}.", owed, profile
    if invoice.status not in CHARGEABLE:
        return f"A {invoice.get_status_display()} invoice is not charged.", owed, profile
    if trigger in AUTOMATIC and invoice.status not in UNPAID:
        return (f"A {invoice.get_status_display()} invoice is only charged by staff.", owed,
                profile)
    if not invoice.on_stripe:
        return ("This invoice is not on Stripe (it went out without online payment), so no "
                "card can be charged for it."), owed, profile
    owed = _owed(invoice)
    if owed <= ZERO:
        return "Nothing is owed on this invoice.", owed, profile
    profile = _profile_for(invoice)
    if profile is None or not profile.has_card or profile.customer_deleted_at is not None:
        return "The client has no card on file.", owed, profile
    if profile.account.stripe_account_id != invoice.stripe_account_id:
        return ("The client's card is saved on another Stripe account than this invoice: ask "
                "the client to save a card again."), owed, profile
    # Charging a card without the client's autopay authorization is not allowed in this
    # product, whoever asks: staff charging by hand need the same consent as autopay (the
    # authorization covers "my sessions and any balance I owe").
    if profile.autopay_consent_at is None:
        return "The client has not authorized charges to the card on file.", owed, profile
    # A pause stops autopay on new invoices; an invoice already on its retry schedule
    # finishes it (its last failed retry makes it Uncollectible, as the schedule promises).
    if trigger in AUTOMATIC and trigger != T.RETRY and profile.autopay_paused_at is not None:
        return ("Autopay is paused for this client after repeated declines: a new card "
                "resumes it, or staff may charge the card by hand."), owed, profile
    return cards_unavailable_reason(practice=invoice.practice), owed, profile


# --- charging -----------------------------------------------------------------------------------


def invoice_card_charge(*, invoice: Invoice, trigger: str, ctx: AuditContext,
                        actor: User | None = None,
                        remote: RemoteInvoice | None = None) -> PaymentAttempt:
    """Charge the client's default card for what the invoice owes, once (see the module's
    notes). Returns the attempt with its outcome: succeeded (the invoice is Paid), declined
    or authentication_required (the invoice stays unpaid with the reason, and the client is
    told -- for a send, the invoice email itself carries the reason, so no second email),
    or error (Stripe did not answer: retried in a while). Refused with Conflict and the
    words of `card_charge_refusal` when no charge may be tried. Call outside a transaction.

    `remote`: Stripe's copy of the invoice as Stripe answered it a moment ago in the same
    run (the delivery's finalize), used instead of reading it again before paying. Safe
    because Stripe never pays one invoice twice (a copy paid meanwhile answers
    `invoice_already_paid`, and that charge is recorded) and the amount check compares
    Stripe's remaining amount, which only a payment on Stripe changes, with what is owed
    here, read under the lock."""
    if ctx.practice_id is not None and ctx.practice_id != invoice.practice_id:
        raise NotFound("No such invoice.")  # another practice's invoice is as unknown here
    attempt = _attempt_claim(invoice=invoice, trigger=trigger, ctx=ctx, actor=actor)
    if attempt is None:  # only a retry run's claim (with due) comes back empty
        raise Conflict("The card is being charged for this invoice already.")
    locked = attempt.invoice  # as the claim read it under the lock
    if Invoice.client.is_cached(invoice) and invoice.client_id == locked.client_id:
        locked.client = invoice.client
    if remote is not None and remote.id != locked.stripe_invoice_id:
        remote = None
    return _attempt_run(attempt=attempt, ctx=ctx, actor=actor, remote=remote)


def _attempt_claim(*, invoice: Invoice, trigger: str, ctx: AuditContext,
                   actor: User | None, due: dt.datetime | None = None
                   ) -> PaymentAttempt | None:
    """The attempt to run, committed: a pending one resumed, or a new one. With `due` (the
    retry run: the `next_charge_at` it found due), only while the invoice still has that
    `next_charge_at` (None: another run took it, or it was paid or rescheduled meanwhile);
    the claim moves `next_charge_at` to the lease, so a second run finds it changed.
    The attempt's `invoice` is the row as read under the lock (with its practice)."""
    now = timezone.now()
    with transaction.atomic():
        # Only the invoice's row (`of`): a join's FOR UPDATE would lock the practice's row
        # as well, and the practice's other deliveries (inserting rows that reference it,
        # FOR KEY SHARE) would queue behind it while this holds the audit chain: deadlock.
        locked = (Invoice.objects.select_for_update(of=("self",)).select_related("practice")
                  .get(pk=invoice.pk))
        if due is not None and locked.next_charge_at != due:
            return None
        # One read of what is owed and of the profile, under the lock, for the check and
        # the attempt.
        refusal, owed, profile = _refusal(invoice=locked, trigger=trigger)
        if refusal:
            raise Conflict(refusal)
        # The lease: a crash from here on leaves the invoice due for the retry run.
        claimed = Invoice.objects.filter(pk=locked.pk, next_charge_at=locked.next_charge_at)
        if not claimed.update(next_charge_at=now + IN_FLIGHT_LEASE) and due is not None:
            return None
        # The last number and the last pending attempt's, in one read.
        seen = PaymentAttempt.objects.filter(invoice=locked).aggregate(
            n=Max("number"), pending=Max("number", filter=Q(outcome=O.PENDING)))
        if seen["pending"] is not None:
            pending = PaymentAttempt.objects.get(invoice=locked, number=seen["pending"])
            pending.invoice = locked
            return pending
        number = (seen["n"] or 0) + 1
        try:
            with transaction.atomic():
                attempt = PaymentAttempt.objects.create(
                    practice_id=locked.practice_id, invoice=locked, number=number,
                    trigger=trigger, amount=owed,
                    payment_method_id=profile.card_payment_method_id,
                    card_brand=profile.card_brand, card_last4=profile.card_last4,
                    created_by=actor)
        except IntegrityError:  # another worker numbered it first: run that one
            other = PaymentAttempt.objects.get(invoice=locked, number=number)
            other.invoice = locked
            return other
        audit_record(ctx=ctx, action=AuditAction.CREATE, category="invoice_payment",
                     client_id=locked.client_id, object_type="PaymentAttempt",
                     object_id=attempt.pk,
                     detail={"invoice": locked.pk, "number": number, "trigger": trigger,
                             "amount": str(attempt.amount)})
    return attempt


def _attempt_run(*, attempt: PaymentAttempt, ctx: AuditContext, actor: User | None,
                 remote: RemoteInvoice | None = None) -> PaymentAttempt:
    """Call Stripe for a committed attempt and record what it answered. The invoice is the
    attempt's as the claim read it (its Stripe ids do not change once it is open; whatever
    records the outcome locks and reads it again); `remote` is Stripe's copy when the caller
    has it fresh (see invoice_card_charge), else it is read."""
    if PaymentAttempt.invoice.is_cached(attempt) and Invoice.practice.is_cached(attempt.invoice):
        invoice = attempt.invoice
    else:
        invoice = Invoice.objects.select_related("practice", "client").get(pk=attempt.invoice_id)
    port = payments_port()
    acct, remote_id = invoice.stripe_account_id, invoice.stripe_invoice_id
    key = idempotency_key("invoice", invoice.pk, "attempt", attempt.number)
    try:
        if remote is None:
            remote = port.invoice_get(account_id=acct, invoice_id=remote_id)
        if remote.status != "paid":
            refusal = _remote_refusal(remote, attempt)
            if refusal:
                return _errored(attempt=attempt, invoice=invoice, words=refusal, retry=False,
                                ctx=ctx)
            remote = port.invoice_pay(account_id=acct, invoice_id=remote_id,
                                      payment_method_id=attempt.payment_method_id,
                                      idempotency_key=key)
        charge = port.charge_get(account_id=acct, charge_id=remote.charge_id)
    except CardError as exc:
        return _declined(attempt=attempt, invoice=invoice, error=exc, ctx=ctx, actor=actor)
    except RetryableError as exc:
        log.warning("card charge of invoice %s attempt %s: Stripe unavailable (%s)",
                    invoice.pk, attempt.number, exc.code or type(exc).__name__)
        return _errored(attempt=attempt, invoice=invoice, words=STRIPE_UNREACHABLE,
                        retry=True, ctx=ctx)
    except FinalError as exc:
        if exc.code == "invoice_already_paid":  # paid between our read and the charge
            return _paid_on_stripe(attempt=attempt, invoice=invoice, ctx=ctx, actor=actor)
        log.warning("card charge of invoice %s attempt %s refused by Stripe (%s)",
                    invoice.pk, attempt.number, exc.code or type(exc).__name__)
        return _errored(attempt=attempt, invoice=invoice, words=f"Stripe refused the charge: "
                        f"{exc.message}"[:300], retry=False, ctx=ctx)
    return _succeeded(attempt=attempt, invoice=invoice, charge=charge, ctx=ctx, actor=actor)


def _paid_on_stripe(*, attempt: PaymentAttempt, invoice: Invoice, ctx: AuditContext,
                    actor: User | None) -> PaymentAttempt:
    """Stripe says the invoice is paid already (the hosted page, or this attempt run by
    another worker): record that charge."""
    port = payments_port()
    try:
        remote = port.invoice_get(account_id=invoice.stripe_account_id,
                                  invoice_id=invoice.stripe_invoice_id)
        charge = port.charge_get(account_id=invoice.stripe_account_id,
                                 charge_id=remote.charge_id)
    except RetryableError:
        return _errored(attempt=attempt, invoice=invoice, words=STRIPE_UNREACHABLE,
                        retry=True, ctx=ctx)
    return _succeeded(attempt=attempt, invoice=invoice, charge=charge, ctx=ctx, actor=actor)


def _remote_refusal(remote: RemoteInvoice, attempt: PaymentAttempt) -> str:
    """Why Stripe's copy of the invoice should not be paid now ("" when it may)."""
    if remote.status not in ("open", "uncollectible"):
        return f"Stripe's copy of the invoice is {remote.status}, so it cannot be charged."
    if money(remote.amount_remaining) > attempt.amount:
        # A payment recorded here (cash, check) that Stripe's copy does not know of: charging
        # Stripe's amount would take more than the client owes.
        return (f"Stripe's copy of the invoice asks for ${remote.amount_remaining:,.2f} but "
                f"${attempt.amount:,.2f} is owed here; the card was not charged.")
    return ""


def _finished(attempt: PaymentAttempt, *, over: tuple[str, ...] = (O.PENDING,),
              **fields: object) -> bool:
    """Write the attempt's outcome once: False when another worker already did. A success
    may also replace an error (`over`): a worker whose call timed out while another worker's
    identical call charged the card."""
    now = timezone.now()
    done = PaymentAttempt.objects.filter(pk=attempt.pk, outcome__in=over).update(
        finished_at=now, **fields)
    if done:  # what was written is what the row holds now: no read back
        attempt.finished_at = now
        for name, value in fields.items():
            setattr(attempt, name, value)
    else:
        attempt.refresh_from_db()
    return bool(done)


def _succeeded(*, attempt: PaymentAttempt, invoice: Invoice, charge: Charge,
               ctx: AuditContext, actor: User | None) -> PaymentAttempt:
    # A charge made with another card (the client paid on the hosted page) is an online
    # payment, not the card on file's.
    method = (PaymentMethod.CARD if charge.payment_method_id in ("", attempt.payment_method_id)
              else PaymentMethod.ONLINE)
    payment = PaymentIn(key=stripe_payment_key(charge.id), method=method,
                        amount=charge.amount, fee=charge.fee, reference=charge.id,
                        stripe_charge_id=charge.id, card_brand=charge.card_brand,
                        card_last4=charge.card_last4)
    source = f"card on file, attempt {attempt.number} ({attempt.get_trigger_display()})"
    try:
        with transaction.atomic():
            _finished(attempt, over=(O.PENDING, O.ERROR), outcome=O.SUCCEEDED,
                      stripe_charge_id=charge.id,
                      card_brand=charge.card_brand or attempt.card_brand,
                      card_last4=charge.card_last4 or attempt.card_last4, reason="")
            payment_apply(invoice=invoice, payment=payment, ctx=ctx, actor=actor,
                          source=source)
            Invoice.objects.filter(pk=invoice.pk).update(declines=0, decline_reason="",
                                                         next_charge_at=None)
    except Conflict as exc:
        # Charged, but the invoice cannot take the payment here (voided meanwhile): staff
        # must refund it, so the attempt says so.
        log.warning("card charge of invoice %s attempt %s succeeded on a %s invoice",
                    invoice.pk, attempt.number, invoice.status)
        words = f"Charged, but not recorded: {exc.message} Refund the charge on Stripe."
        _finished(attempt, over=(O.PENDING, O.ERROR), outcome=O.SUCCEEDED,
                  stripe_charge_id=charge.id, reason=words[:300])
        Invoice.objects.filter(pk=invoice.pk).update(next_charge_at=None)
        attempt.refresh_from_db()  # the first write was rolled back: read what holds
    return attempt


def _errored(*, attempt: PaymentAttempt, invoice: Invoice, words: str, retry: bool,
             ctx: AuditContext) -> PaymentAttempt:
    """Stripe did not answer (retry: tried again after a back-off, no decline counted) or
    refused for a reason a retry will not fix (no new try is scheduled)."""
    with transaction.atomic():
        if not _finished(attempt, outcome=O.ERROR, reason=words[:300]):
            return attempt
        next_at = None
        if retry:
            errors = _errors_in_a_row(invoice)
            delay = min(ERROR_RETRY_FIRST * 2 ** max(errors - 1, 0), ERROR_RETRY_MOST)
            next_at = timezone.now() + delay
        Invoice.objects.filter(pk=invoice.pk).update(next_charge_at=next_at)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice_payment",
                     client_id=invoice.client_id, object_type="PaymentAttempt",
                     object_id=attempt.pk, detail={"outcome": O.ERROR, "retry": retry})
    return attempt


def _errors_in_a_row(invoice: Invoice) -> int:
    count = 0
    for outcome in (PaymentAttempt.objects.filter(invoice=invoice).exclude(outcome=O.PENDING)
                    .order_by("-number").values_list("outcome", flat=True)[:12]):
        if outcome != O.ERROR:
            break
        count += 1
    return count


def _declined(*, attempt: PaymentAttempt, invoice: Invoice, error: CardError,
              ctx: AuditContext, actor: User | None) -> PaymentAttempt:
    words = error.words or decline_words(code=error.code, decline_code=error.decline_code)
    needs_client = error.needs_authentication
    outcome = O.AUTHENTICATION_REQUIRED if needs_client else O.DECLINED
    final = paused = False
    with transaction.atomic():
        locked = Invoice.objects.select_for_update(of=("self",)) \
            .select_related("practice", "client") \
            .get(pk=invoice.pk)
        if not _finished(attempt, outcome=outcome, reason=words[:300],
                         decline_code=(error.decline_code or error.code)[:60],
                         stripe_charge_id=error.charge_id[:64]):
            return attempt
        if needs_client:
            # Only the client can approve it (on the hosted page): retrying off session
            # would ask the bank the same question again.
            next_at = None
            declines = locked.declines
        else:
            declines = locked.declines + 1
            next_at = (_retry_at(invoice=locked, declines=declines)
                       if locked.status in UNPAID else None)
            # Only the schedule's own last try ends in Uncollectible: a staff charge or a
            # new card's charge after the schedule stopped leaves the invoice Open.
            final = next_at is None and locked.status in UNPAID and attempt.trigger == T.RETRY
        Invoice.objects.filter(pk=locked.pk).update(declines=declines,
                                                    decline_reason=words[:300],
                                                    next_charge_at=next_at)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice_payment",
                     client_id=locked.client_id, object_type="PaymentAttempt",
                     object_id=attempt.pk,
                     detail={"outcome": outcome, "decline_code": attempt.decline_code,
                             "declines": declines})
        profile = _profile_for(locked)
        if not needs_client and profile is not None and \
                _declines_in_a_row(profile) >= PAUSE_AFTER_DECLINES:
            paused = autopay_pause(profile=profile, ctx=ctx,
                                   reason=f"{PAUSE_AFTER_DECLINES} declines in a row")
            if paused:
                _owners_tell_paused(invoice=locked, profile=profile, reason=words, ctx=ctx)
        if attempt.trigger != T.SEND:
            # A send's decline is told by the invoice email itself (sending.py writes the
            # reason or the confirm request into it), so the client gets one message.
            _client_tell_declined(invoice=locked, attempt=attempt, reason=words,
                                  next_at=next_at, final=final, paused=paused, ctx=ctx)
    if final:
        _uncollectible_after_schedule(invoice=invoice, reason=words, ctx=ctx)
    return attempt  # as _finished wrote it (committed with the block above)


def _uncollectible_after_schedule(*, invoice: Invoice, reason: str, ctx: AuditContext) -> None:
    """The last scheduled retry failed: the invoice is Uncollectible (on Stripe too), what
    is owed written off (a later payment reverses it). Stripe refusing or not answering
    leaves the invoice Open without a next try, for staff to mark by hand."""
    try:
        invoice_mark_uncollectible(invoice=invoice, ctx=ctx, source="retry schedule",
                                   reason=f"the last scheduled card retry failed: {reason}")
    except Conflict as exc:
        log.warning("invoice %s: not marked uncollectible after its last retry (%s)",
                    invoice.pk, type(exc).__name__)


def _retry_at(*, invoice: Invoice, declines: int) -> dt.datetime | None:
    """When to try again after the `declines`-th decline of this invoice: the practice's
    retry days counted from the first decline, at 9 in the practice's morning (a moment
    already past moves to the next morning). None after the last scheduled retry."""
    days = [int(d) for d in invoice_settings_get(practice=invoice.practice).retry_days]
    if declines > len(days):
        return None
    first = (PaymentAttempt.objects.filter(invoice=invoice, outcome=O.DECLINED)
             .order_by("number").values_list("finished_at", flat=True).first())
    now = timezone.now()
    zone = practice_zone(invoice.practice)
    start = practice_date(first or now, invoice.practice)
    at = dt.datetime.combine(start + dt.timedelta(days=days[declines - 1]), MORNING,
                             tzinfo=zone)
    if at <= now:
        today = practice_date(now, invoice.practice)
        at = dt.datetime.combine(today, MORNING, tzinfo=zone)
        if at <= now:
            at = dt.datetime.combine(today + dt.timedelta(days=1), MORNING, tzinfo=zone)
    return at


def _declines_in_a_row(profile: ClientPaymentProfile) -> int:
    """The client's card declines in a row, across their invoices, since the last successful
    charge and since the card was saved (a new card starts afresh). Stripe being down and a
    bank asking the client to confirm are neither a decline nor a success."""
    attempts = PaymentAttempt.objects.filter(
        practice_id=profile.practice_id, invoice__client_id=profile.client_id,
        outcome__in=(O.DECLINED, O.SUCCEEDED))
    if profile.card_saved_at is not None:
        attempts = attempts.filter(created_at__gte=profile.card_saved_at)
    count = 0
    for outcome in attempts.order_by("-finished_at", "-pk").values_list(
            "outcome", flat=True)[:PAUSE_AFTER_DECLINES]:
        if outcome != O.DECLINED:
            break
        count += 1
    return count


# --- emails -------------------------------------------------------------------------------------


def _dollars(amount: Decimal) -> str:
    return dollars_text(amount)


def _client_tell_declined(*, invoice: Invoice, attempt: PaymentAttempt, reason: str,
                          next_at: dt.datetime | None, final: bool, paused: bool,
                          ctx: AuditContext) -> None:
    """Tell the client their card was not charged, with the hosted page to pay or confirm
    on: the amount, the invoice's number and the reason; nothing clinical."""
    client = invoice.client
    if not client.email:
        return
    practice = invoice.practice
    confirm = attempt.outcome == O.AUTHENTICATION_REQUIRED
    context = {
        "first_name": client.first_name, "number": invoice.number,
        "amount": _dollars(attempt.amount), "reason": reason,
        "url": invoice.hosted_invoice_url,
        "card": f"{attempt.card_brand.title()} ending {attempt.card_last4}".strip(),
        "next_try": (next_at.astimezone(practice_zone(practice)).date()
                     if next_at is not None else None),
        "final": final, "paused": paused,
    }
    if confirm:
        subject = f"{practice.name}: please confirm your payment for invoice {invoice.number}"
        template, kind = "email/payment_confirm", "payment_confirm"
    else:
        subject = f"{practice.name}: your card was declined for invoice {invoice.number}"
        template, kind = "email/payment_declined", "payment_declined"
    email_send(practice=practice, to=client.email, subject=subject, template=template,
               context=context, ctx=ctx, kind=kind, object_type="Invoice",
               object_id=invoice.pk, client_id=client.pk)


def _owners_tell_paused(*, invoice: Invoice, profile: ClientPaymentProfile, reason: str,
                        ctx: AuditContext) -> None:
    """Tell the practice's owners that the client's autopay stopped, and what to do: the
    client's name, the card and the last decline in words; no diagnosis or session."""
    practice = invoice.practice
    owners = User.objects.filter(practice_id=practice.pk, role=Role.OWNER, is_active=True) \
        .exclude(email="").order_by("pk")
    client = invoice.client
    context = {"client_name": client.full_name, "number": invoice.number,
               "card": f"{profile.card_brand.title()} ending {profile.card_last4}",
               "reason": reason, "declines": PAUSE_AFTER_DECLINES}
    for owner in owners:
        email_send(practice=practice, to=owner.email,
                   subject=f"Autopay paused for {client.full_name}",
                   template="email/autopay_paused", context=context, ctx=ctx,
                   kind="autopay_paused", object_type="Invoice", object_id=invoice.pk)


# --- the retry run ------------------------------------------------------------------------------


def invoices_card_retries_run(*, now: dt.datetime | None = None) -> int:
    """The periodic task's body: charge every unpaid invoice whose next try is due (trigger
    retry), each in its own attempt. An invoice no longer chargeable (consent withdrawn,
    card removed, Stripe copy gone) has its schedule ended; a paused autopay does not end
    a schedule already running (see card_charge_refusal). Returns the
    number of attempts run."""
    now = now or timezone.now()
    # Paid, voided or written off since: nothing more to try.
    Invoice.objects.filter(next_charge_at__isnull=False).exclude(status__in=UNPAID) \
        .update(next_charge_at=None)
    # A suspended practice's clients are not charged; their retries wait for reactivation.
    due = list(Invoice.objects.filter(status__in=UNPAID, next_charge_at__lte=now,
                                      practice__suspended_at__isnull=True)
               .order_by("next_charge_at", "pk")
               .values_list("pk", "next_charge_at")[:RETRY_BATCH])
    ran = 0
    for pk, due_at in due:
        invoice = Invoice.objects.select_related("practice").get(pk=pk)
        ctx = AuditContext.system(practice_id=invoice.practice_id, source="card retries")
        try:
            attempt = _attempt_claim(invoice=invoice, trigger=T.RETRY, ctx=ctx, actor=None,
                                     due=due_at)
        except Conflict:
            Invoice.objects.filter(pk=pk, next_charge_at=due_at).update(next_charge_at=None)
            continue
        if attempt is None:
            continue
        try:
            _attempt_run(attempt=attempt, ctx=ctx, actor=None)
        except Exception:  # one invoice's failure must not stop the others; the lease retries
            log.exception("card retry of invoice %s attempt %s failed", pk, attempt.number)
        ran += 1
    return ran


# --- a card saved (Request Payment Method) ------------------------------------------------------


def card_saved_charge_open_invoices(profile: ClientPaymentProfile,
                                    card_request: CardRequest) -> int:
    """The card-saved listener (payments/hooks.py, registered in apps.py): when staff
    ticked "charge open invoices" on the request, charge each of the client's open and
    overdue invoices on Stripe with the new card. Returns the number of attempts made."""
    if not card_request.charge_open_invoices:
        return 0
    ctx = AuditContext.system(practice_id=profile.practice_id, source="card saved")
    invoices = (Invoice.objects.select_related("practice")
                .filter(practice_id=profile.practice_id, client_id=profile.client_id,
                        status__in=UNPAID).exclude(stripe_invoice_id="")
                .order_by("issue_date", "pk"))
    made = 0
    for invoice in invoices:
        if card_charge_refusal(invoice=invoice, trigger=T.CARD_SAVED):
            continue
        try:
            invoice_card_charge(invoice=invoice, trigger=T.CARD_SAVED, ctx=ctx)
        except Conflict:
            continue  # changed meanwhile (paid on the hosted page, voided)
        made += 1
    return made


def card_saved_listeners_register() -> None:
    """Called from InvoicesConfig.ready(): charge open invoices when a card is saved."""
    card_saved_listener_add(card_saved_charge_open_invoices)
