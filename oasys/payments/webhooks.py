"""Stripe webhooks, the writing side: store each verified event once, then process it.

`stripe_event_receive` (the view at `POST /webhooks/stripe` calls it) verifies the
`Stripe-Signature` through the port and stores the event raw, under Stripe's unique event
id, before anything else happens: a bad signature stores nothing, a replay finds the row and
does nothing, and whatever was accepted is never lost. Processing runs after commit, in a
Celery task (`tasks.stripe_event_process_task`), and again from the sweeper
(`stripe_events_sweep`, on Celery beat) for a kick that was lost and for failed events due a
retry.

`stripe_event_process` locks the row (SKIP LOCKED on PostgreSQL, so two workers never run
one event's handler at once) and runs the handler for the event's type (`handlers.HANDLERS`)
in the same transaction as the row's new state: the handler's writes and "processed" commit
together or not at all, so a crash in between leaves the event to run again, and a handler
runs to completion once per event. Handlers are order-independent (they fetch the current
object), so events that come late, twice or out of order end in the state one in-order
delivery would reach. Nothing here logs a payload: events about customers and invoices carry
client names and emails (PHI); logs carry event ids, types and account ids only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction

from .connection import payments_port
from .handlers import HANDLERS
from .models import PaymentAccount, StripeWebhookEvent, WebhookEventState
from .port import Event, PaymentsError, SignatureInvalid
from .webhook_machine import STRIPE_WEBHOOK_EVENT

log = logging.getLogger(__name__)

W = WebhookEventState
SOURCE = "stripe webhook"
# States a worker may take an event from; processed and ignored are final (bar an operator's
# retry of an ignored one).
DUE = (W.RECEIVED, W.FAILED)


# --- helpers ---------------------------------------------------------------------------------
def _account_for(stripe_account_id: str) -> PaymentAccount | None:
    """The payment account that Stripe account id belongs to (its practice), or None.

    SWAP: this is `selectors.payment_account_for_stripe_id` (the "connect" part of the
    payments issue); replace the query with that selector when it is on main. Not scoped by
    practice on purpose: a verified event's account id is what tells us the practice."""
    if not stripe_account_id:
        return None
    return PaymentAccount.objects.select_related("practice").filter(
        stripe_account_id=stripe_account_id).first()


def install_livemode() -> bool:
    """Whether this install talks to Stripe's live mode (a live secret key) or test mode (a
    test key, the stand-in, the fake). A live event at a test install, or the reverse, is a
    misregistered endpoint and changes nothing."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def _lock_kwargs() -> dict[str, bool]:
    # PostgreSQL: concurrent workers skip each other's rows. SQLite has no row locks; its
    # IMMEDIATE transactions serialize writers, so the state check inside is enough.
    return {"skip_locked": True} if connection.features.has_select_for_update_skip_locked \
        else {}


def _ctx(practice_id: int | None) -> AuditContext:
    return AuditContext.system(practice_id=practice_id, source=SOURCE)


def _event_of(row: StripeWebhookEvent) -> Event:
    """The port's Event for a stored row, rebuilt from the payload exactly as Stripe sent it."""
    raw = row.payload
    data = raw.get("data") or {}
    return Event(id=row.event_id, type=row.type, account_id=row.account_id,
                 created=row.created, object=data.get("object") or {},
                 previous_attributes=data.get("previous_attributes") or {},
                 livemode=row.livemode, raw=raw)


def _error_text(exc: Exception) -> str:
    """What a failed attempt records and shows. A PaymentsError's message is Stripe's (about
    ids and parameters); any other exception's text may quote data (a client's name in an
    integrity error), so only its class is kept: the worker's traceback tells the rest."""
    if isinstance(exc, PaymentsError):
        return f"{type(exc).__name__}: {exc.message}"
    return f"{type(exc).__name__} (see the worker log for event handler errors)"


def _retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off between attempts at one event, capped at an hour."""
    base = float(settings.STRIPE_WEBHOOK_RETRY_BASE_SECONDS)
    return dt.timedelta(seconds=min(3600.0, base * 2 ** max(0, attempts - 1)))


# --- receiving -------------------------------------------------------------------------------
def stripe_event_receive(*, payload: bytes, signature: str) -> StripeWebhookEvent:
    """Verify one delivery and store its event once; queue its processing for after commit.

    Raises InvalidInput (and stores nothing) when the signature is missing, does not match,
    is older than five minutes, or the body is not an event. A replay of a stored event
    returns the stored row; it is queued again only if it never left "received" (its first
    kick may have been lost), never once processed."""
    if not signature:
        raise InvalidInput("The Stripe-Signature header is missing.")
    _require_event_shape(payload)
    try:
        event = payments_port().event_parse(payload=payload, signature=signature)
    except SignatureInvalid as exc:
        raise InvalidInput(f"The webhook was refused: {exc.message}") from None
    existing = StripeWebhookEvent.objects.filter(event_id=event.id).first()
    if existing is not None:
        return _replayed(existing)
    account = _account_for(event.account_id)
    practice_id = account.practice_id if account is not None else None
    try:
        with transaction.atomic():
            row = StripeWebhookEvent.objects.create(
                event_id=event.id[:80], type=event.type[:80], account_id=event.account_id[:64],
                practice_id=practice_id, livemode=event.livemode, created=event.created,
                # the body as sent (verified above), not the port's reading of it
                payload=json.loads(payload))
            STRIPE_WEBHOOK_EVENT.record_created(obj=row, source=SOURCE, reason="received")
            audit_record(ctx=_ctx(practice_id), action=AuditAction.CREATE,
                         category="stripe_webhook_event", object_type="StripeWebhookEvent",
                         object_id=row.pk, detail={"event_id": row.event_id, "type": row.type,
                                                   "account": row.account_id})
            stripe_event_enqueue(event_id=row.pk)
    except IntegrityError:
        # the same event delivered twice at once: the other delivery stored it first
        return _replayed(StripeWebhookEvent.objects.get(event_id=event.id))
    return row


def _require_event_shape(payload: bytes) -> None:
    """Refuse a body that is not a Stripe event object before any adapter reads it (so no
    adapter's parsing of odd JSON can turn garbage into a 500 or a stored row)."""
    try:
        raw = json.loads(payload)
    except ValueError:  # also a body that is not UTF-8
        raise InvalidInput("The body is not JSON.") from None
    if not isinstance(raw, dict) or raw.get("object") != "event" \
            or not isinstance(raw.get("id"), str) or not isinstance(raw.get("type"), str) \
            or not isinstance(raw.get("created"), int) \
            or not isinstance(raw.get("data"), dict):
        raise InvalidInput("The body is not a Stripe event.")


def _replayed(row: StripeWebhookEvent) -> StripeWebhookEvent:
    log.info("Stripe event %s (%s) delivered again: already %s", row.event_id, row.type,
             row.state)
    if row.state == W.RECEIVED:
        stripe_event_enqueue(event_id=row.pk)
    return row


def stripe_event_enqueue(*, event_id: int) -> None:
    """Process the stored event once the current transaction commits. A lost kick (a broker
    down, a crash right after commit) is harmless: the sweeper processes it after a grace."""
    # tasks.py imports this module at its top: a real cycle, so the task is looked up here
    from .tasks import stripe_event_process_task  # noqa: PLC0415

    def kick() -> None:
        stripe_event_process_task.delay(event_id)

    transaction.on_commit(kick, robust=True)


# --- processing ------------------------------------------------------------------------------
def stripe_event_process(*, event_id: int) -> StripeWebhookEvent:
    """Process one stored event (our row id) if it is waiting (received or failed) and no
    other worker holds it; return the row as it stands. Safe to repeat and to run from any
    number of workers: a processed or ignored event is left alone."""
    with transaction.atomic():
        row = (StripeWebhookEvent.objects.select_for_update(**_lock_kwargs())
               .filter(pk=event_id, state__in=DUE).first())
        if row is not None:
            return _process_locked(row)
    return StripeWebhookEvent.objects.get(pk=event_id)


def _ignore(row: StripeWebhookEvent, reason: str) -> StripeWebhookEvent:
    return STRIPE_WEBHOOK_EVENT.transition(
        obj=row, to=W.IGNORED, ctx=_ctx(row.practice_id), source=SOURCE, reason=reason,
        updates={"outcome": reason[:300], "processed_at": timezone.now(),
                 "next_attempt_at": None})


def _process_locked(row: StripeWebhookEvent) -> StripeWebhookEvent:
    if row.livemode != install_livemode():
        mode = "live" if row.livemode else "test"
        here = "live" if install_livemode() else "test"
        log.warning("Stripe event %s (%s): a %s-mode event at a %s-mode install, ignored",
                    row.event_id, row.type, mode, here)
        return _ignore(row, f"a {mode}-mode event at a {here}-mode install")
    account = _account_for(row.account_id)
    if account is None:
        who = row.account_id or "(the platform's own)"
        log.warning("Stripe event %s (%s) for unknown account %s: ignored", row.event_id,
                    row.type, who)
        return _ignore(row, f"unknown account {who}")
    if row.practice_id != account.practice_id:
        # the account was connected after the event arrived: the row is the practice's now
        # (before the moves below, so their rows and audit carry the practice)
        StripeWebhookEvent.objects.filter(pk=row.pk).update(practice_id=account.practice_id)
        row.practice_id = account.practice_id
    handler = HANDLERS.get(row.type)
    if handler is None:
        return _ignore(row, "not handled")
    attempts = row.attempts + 1
    ctx = _ctx(account.practice_id)
    try:
        # a savepoint: a handler that fails leaves none of its writes behind
        with transaction.atomic():
            outcome = handler(_event_of(row), account)
    except Exception as exc:  # noqa: BLE001 - any handler error must leave the event to retry
        return _failed(row, exc, attempts=attempts, ctx=ctx)
    return STRIPE_WEBHOOK_EVENT.transition(
        obj=row, to=W.PROCESSED, ctx=ctx, source=SOURCE, reason=f"attempt {attempts}",
        updates={"attempts": attempts, "outcome": str(outcome or "done")[:300],
                 "processed_at": timezone.now(), "next_attempt_at": None})


def _failed(row: StripeWebhookEvent, exc: Exception, *, attempts: int,
            ctx: AuditContext) -> StripeWebhookEvent:
    limit = int(settings.STRIPE_WEBHOOK_MAX_ATTEMPTS)
    give_up = attempts >= limit
    text = _error_text(exc)
    outcome = (f"gave up after {attempts} attempts: {text}" if give_up
               else f"attempt {attempts} failed, will retry: {text}")
    # the class only: an exception's text may quote a client's data
    log.warning("Stripe event %s (%s): handler failed (attempt %s of %s): %s", row.event_id,
                row.type, attempts, limit, type(exc).__name__)
    return STRIPE_WEBHOOK_EVENT.transition(
        obj=row, to=W.FAILED, ctx=ctx, source=SOURCE, reason=outcome[:500],
        updates={"attempts": attempts, "outcome": outcome[:300],
                 "next_attempt_at": None if give_up
                 else timezone.now() + _retry_delay(attempts)})


# --- the sweeper and the operator's retry -----------------------------------------------------
def stripe_events_due(*, now: dt.datetime | None = None) -> QuerySet[StripeWebhookEvent]:
    """Events the sweeper should process: received ones older than the grace (their kick was
    lost) and failed ones whose retry is due (not those it gave up on)."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=float(settings.STRIPE_WEBHOOK_RECEIVED_GRACE_SECONDS))
    return StripeWebhookEvent.objects.filter(
        Q(state=W.RECEIVED, received_at__lte=now - grace)
        | Q(state=W.FAILED, next_attempt_at__lte=now))


def stripe_events_sweep(*, limit: int = 200, now: dt.datetime | None = None) -> dict[str, int]:
    """Process every due event (at most `limit`, oldest first), each at most once per sweep.
    `now` is the clock due times are read against (tests move it). Returns how many ended in
    each state ("received": held by another worker at the time)."""
    counts = {W.PROCESSED.value: 0, W.IGNORED.value: 0, W.FAILED.value: 0,
              W.RECEIVED.value: 0}
    ids = list(stripe_events_due(now=now).order_by("received_at", "pk")
               .values_list("pk", flat=True)[:limit])
    for pk in ids:
        counts[stripe_event_process(event_id=pk).state] += 1
    return counts


def stripe_event_retry(*, event_id: int) -> StripeWebhookEvent:
    """An operator's "process it again now" for a failed event (also one the sweeper gave up
    on) or an ignored one (say, an account that was not connected yet). Raises Conflict for a
    processed event."""
    row = StripeWebhookEvent.objects.get(pk=event_id)
    STRIPE_WEBHOOK_EVENT.require_action(row, "retry")
    if row.state == W.IGNORED:
        STRIPE_WEBHOOK_EVENT.transition(
            obj=row, to=W.RECEIVED, ctx=_ctx(row.practice_id), source="oasys payments events",
            reason="retry asked for", updates={"next_attempt_at": None})
    return stripe_event_process(event_id=row.pk)
