"""A billing run, phase by phase (Stripe's "atomic phases"): each phase is a recovery point,
and each item's outcome is written in the same transaction as the billing it stands for.

    select        store the run's items: every fully Ready item (selectors.run_candidates)
    bill          sessions -> claims (Submitted, their 837P file in the outbox) and cash-pay
                  invoices (Sending), a chunk of sessions per transaction (billing_submit)
    transmit      send the run's claim files now (the outbox's own send: one idempotency key
                  per file, so a retry never makes a second file at the clearinghouse)
    deliver       deliver the run's invoices: finalized on Stripe, the card on file charged
                  where the client consented (one PaymentAttempt per try, keyed by invoice),
                  else emailed (sending.invoice_deliver, safe to repeat)
    client_share  ERA client shares -> invoices, sent and delivered the same way
    secondary     secondary claims for primaries paid in part, submitted and transmitted
    report        the summary per kind, and the owner's email when anything failed -- in the
                  transaction that moves the run to done, so it goes once

A worker holds a run by its lease (`lease_until`, renewed every chunk). One killed at any
point (SIGKILL, a dropped database connection) leaves the run in its phase with every item
either done (committed with its billing) or untouched; once the lease lapses the schedule's
tick hands the run to another worker, which goes on from there. Nothing is billed twice:
the item is done once (`outcome` moves from pending under the row lock), and underneath the
billing services refuse a second claim, invoice or charge for the same thing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from oasys.billing.services import billing_submit
from oasys.claims.models import Claim
from oasys.claims.secondary import claim_secondary_bill
from oasys.clearinghouse.port import ClearinghouseError
from oasys.clearinghouse.services import edi_file_transmit
from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.feedback import error_text
from oasys.core.formats import date_text
from oasys.core.outbound_mail import email_kicks_held, email_send
from oasys.invoices.models import Invoice, InvoiceLine, InvoiceStatus
from oasys.invoices.sending import invoice_deliver, invoice_send
from oasys.invoices.services import AlreadyInvoiced
from oasys.payments.port import PaymentsError
from oasys.practice.selectors import practice_owner
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.services import remittance_claim_invoice_create

from .machine import BILLING_RUN_MACHINE, phase_after
from .models import BillingRun, BillingRunItem, ItemKind, ItemOutcome, RunPhase
from .selectors import autobilling_settings_get, billing_run_summary, run_candidates

log = logging.getLogger(__name__)

P = RunPhase
K = ItemKind
O = ItemOutcome  # noqa: E741
CHUNK = 25  # sessions per billing transaction: one 837P file per chunk's claims
SOURCE = "auto-billing"


class LeaseLost(Exception):
    """Another worker holds the run now (ours lapsed): stop at once, it carries on."""


def _lease() -> dt.timedelta:
    """How long a worker holds the run before another may take it (settings; 3 minutes)."""
    return dt.timedelta(seconds=settings.AUTOBILLING_LEASE_SECONDS)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- holding a run -----------------------------------------------------------------------------
def billing_run_claim(*, run_id: int, worker: str,
                      now: dt.datetime | None = None) -> BillingRun | None:
    """Take the run for `worker` if it is unfinished and nobody else holds it: a row lock
    that skips a run another worker is taking this instant (SKIP LOCKED on PostgreSQL), and
    a lease that lapses if this worker dies."""
    now = now or timezone.now()
    with transaction.atomic():
        run = (BillingRun.objects.select_for_update(skip_locked=True)
               .filter(pk=run_id).exclude(phase=P.DONE)
               .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now)
                       | Q(lease_owner=worker)).first())
        if run is None:
            return None
        BillingRun.objects.filter(pk=run.pk).update(
            lease_owner=worker, lease_until=now + _lease(), attempts=run.attempts + 1,
            started_at=run.started_at or now)
    run.refresh_from_db()
    return run


def _renew(run: BillingRun, worker: str) -> None:
    """Inside a chunk's transaction: still ours? Extend the lease, else stop."""
    if not BillingRun.objects.filter(pk=run.pk, lease_owner=worker).update(
            lease_until=timezone.now() + _lease()):
        raise LeaseLost(run.pk)


def _release(run_id: int, worker: str, error: str = "") -> None:
    updates: dict = {"lease_owner": "", "lease_until": None}
    if error:
        updates["last_error"] = error[:500]
    BillingRun.objects.filter(pk=run_id, lease_owner=worker).update(**updates)


def _ctx(run: BillingRun) -> AuditContext:
    user = run.created_by
    if user is None:
        return AuditContext.system(practice_id=run.practice_id, source=SOURCE)
    return AuditContext(user_id=user.pk, user_email=user.email, practice_id=run.practice_id)


# --- the run ---------------------------------------------------------------------------------
def billing_run_execute(*, run_id: int, worker: str | None = None,
                        stop_after: Callable[[str], bool] | None = None) -> BillingRun | None:
    """Take the run and carry it to done from wherever it stands. Answers the run, or None
    when another worker holds it (or it is done). `stop_after(phase)` (tests) ends the work
    after that phase, as a crash would, with the lease still held."""
    worker = worker or worker_name()
    run = billing_run_claim(run_id=run_id, worker=worker)
    if run is None:
        return None
    try:
        while run.phase != P.DONE:
            phase = run.phase
            PHASES[phase](run, worker)
            _advance(run, worker, phase)
            run.refresh_from_db()
            if stop_after is not None and stop_after(phase):
                return run
    except LeaseLost:
        log.warning("billing run %s: lease lost to another worker", run_id)
        return BillingRun.objects.get(pk=run_id)
    except Exception as exc:
        _release(run_id, worker, error=f"{type(exc).__name__}: {exc}")
        raise
    _release(run_id, worker)
    return BillingRun.objects.get(pk=run_id)


def _advance(run: BillingRun, worker: str, phase: str,
             on_commit: Iterable[Callable[[], object]] = ()) -> None:
    with transaction.atomic():
        _renew(run, worker)
        current = BillingRun.objects.select_for_update().get(pk=run.pk)
        if current.phase != phase:
            return  # (a worker that had lost its lease got here first)
        updates: dict = {}
        if phase_after(phase) == P.DONE:
            updates["finished_at"] = timezone.now()
        BILLING_RUN_MACHINE.transition(obj=current, to=phase_after(phase), ctx=_ctx(run),
                                       source=SOURCE, updates=updates, on_commit=on_commit)


def _items(run: BillingRun, kinds: Iterable[str], *, outcome: str | None = O.PENDING,
           followed_up: bool | None = None) -> Iterable[list[BillingRunItem]]:
    """The run's items of `kinds`, a chunk at a time (keyset by pk: items done meanwhile
    drop out of the next chunk)."""
    last = 0
    while True:
        qs = BillingRunItem.objects.filter(run=run, kind__in=list(kinds), pk__gt=last)
        if outcome is not None:
            qs = qs.filter(outcome=outcome)
        if followed_up is not None:
            qs = qs.filter(followed_up_at__isnull=not followed_up)
        chunk = list(qs.order_by("pk")[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def _set(item: BillingRunItem, outcome: str, reason: str = "", **refs) -> None:
    BillingRunItem.objects.filter(pk=item.pk).update(
        outcome=outcome, reason=reason[:300], updated_at=timezone.now(), **refs)


class _Outcomes:
    """The outcomes of a chunk's items, written in one UPDATE when the chunk is done (in the
    chunk's transaction: an item's outcome still commits with its billing, or not at all)."""

    FIELDS = ("outcome", "reason", "updated_at", "claim", "invoice", "amount",
              "followed_up_at")

    def __init__(self) -> None:
        self.items: dict[int, BillingRunItem] = {}
        self.fields: set[str] = set()

    def set(self, item: BillingRunItem, outcome: str | None, reason: str, **refs) -> None:
        values = {"reason": reason[:300], "updated_at": timezone.now(), **refs}
        if outcome is not None:
            values["outcome"] = outcome
        for name, value in values.items():
            setattr(item, name, value)
        self.fields.update(name.removesuffix("_id") for name in values)
        self.items[item.pk] = item

    def write(self) -> None:
        if self.items:
            BillingRunItem.objects.bulk_update(list(self.items.values()),
                                               sorted(self.fields), batch_size=CHUNK)
        self.items, self.fields = {}, set()


def _pending_locked(chunk: list[BillingRunItem]) -> list[BillingRunItem]:
    """The chunk's items still pending, locked for this transaction."""
    return list(BillingRunItem.objects.select_for_update()
                .filter(pk__in=[i.pk for i in chunk], outcome=O.PENDING).order_by("pk"))


# --- select ------------------------------------------------------------------------------------
def _select(run: BillingRun, worker: str) -> None:
    conf = autobilling_settings_get(practice=run.practice)
    found = run_candidates(practice=run.practice, bill_from=conf.bill_from)
    with transaction.atomic():
        _renew(run, worker)
        BillingRunItem.objects.bulk_create([
            BillingRunItem(practice_id=run.practice_id, run=run, kind=c.kind,
                           subject=c.subject, amount=c.amount,
                           appointment_id=c.appointment_id, client_id=c.client_id,
                           claim_id=c.claim_id)
            for c in found], ignore_conflicts=True, batch_size=500)


# --- bill: sessions to claims and invoices -------------------------------------------------------
def _bill(run: BillingRun, worker: str) -> None:
    for chunk in _items(run, (K.CLAIM, K.INVOICE)):
        try:
            with transaction.atomic():
                _renew(run, worker)
                _bill_items(run, _pending_locked(chunk))
        except DomainError:
            # One session the services refuse must not hold back the chunk (or the run, for
            # ever): bill them one by one, and record the refusal on the one refused.
            for item in chunk:
                with transaction.atomic():
                    _renew(run, worker)
                    try:
                        with transaction.atomic():
                            _bill_items(run, _pending_locked([item]))
                    except DomainError as exc:
                        _set(item, O.FAILED, error_text(exc))


def _bill_items(run: BillingRun, items: list[BillingRunItem]) -> None:
    """Bill these sessions in the caller's transaction and record each one's outcome."""
    if not items:
        return
    by_appt = {i.appointment_id: i for i in items}
    # The run delivers its invoices itself (the deliver phase): no task per invoice too.
    result = billing_submit(practice=run.practice, appointment_ids=list(by_appt),
                            ctx=_ctx(run), actor=run.created_by, queue_deliveries=False)
    outcomes = _Outcomes()
    done: set[int] = set()
    for claim in result.claims:
        outcomes.set(by_appt[claim.appointment_id], O.BILLED, "Submitted", claim=claim)
        done.add(claim.appointment_id)
    for claim in result.claims_failed:
        outcomes.set(by_appt[claim.appointment_id], O.FAILED,
                     f"The 837P builder refused the claim: {result.submission_error}",
                     claim=claim)
        done.add(claim.appointment_id)
    unsent = {inv.pk: why for inv, why in result.invoices_unsent}
    lines = InvoiceLine.objects.filter(
        invoice_id__in=[i.pk for i in result.invoices] + list(unsent),
        appointment_id__in=list(by_appt)).values_list("appointment_id", "invoice_id")
    for appt_id, invoice_id in lines:
        if invoice_id in unsent:
            outcomes.set(by_appt[appt_id], O.FAILED,
                         f"Invoice left a Draft: {unsent[invoice_id]}", invoice_id=invoice_id)
        else:
            outcomes.set(by_appt[appt_id], O.BILLED, "Sending", invoice_id=invoice_id)
        done.add(appt_id)
    for appt_id, why in result.skipped:
        if appt_id not in done:
            outcomes.set(by_appt[appt_id], *_skipped_or_failed(appt_id, why))
            done.add(appt_id)
    outcomes.write()


def _skipped_or_failed(appt_id: int, why: str) -> tuple[str, str]:
    """A session billing_submit left out: billed meanwhile (by hand, or by another run) is
    skipped; no longer Ready is a failure to look at."""
    if Claim.objects.filter(appointment_id=appt_id).exists() or \
            InvoiceLine.objects.filter(appointment_id=appt_id).exists():
        return O.SKIPPED, "Billed outside this run (by hand, or by another run)."
    return O.FAILED, f"No longer ready: {why}"


# --- transmit: the run's claim files -------------------------------------------------------------
def _transmit(run: BillingRun, worker: str, kinds: tuple[str, ...] = (K.CLAIM,)) -> None:
    sent: set[int] = set()
    for chunk in _items(run, kinds, outcome=O.BILLED, followed_up=False):
        with transaction.atomic():
            _renew(run, worker)
        files = (Claim.objects.filter(pk__in=[i.claim_id for i in chunk if i.claim_id])
                 .exclude(submission__isnull=True)
                 .values_list("submission__edi_file_id", flat=True).distinct())
        for file_id in files:
            if file_id in sent:
                continue
            sent.add(file_id)
            try:
                edi_file_transmit(edi_file_id=file_id)
            except ClearinghouseError as exc:
                # Left to the outbox, which retries it on its schedule; the claims are
                # billed (Submitted) either way.
                log.warning("billing run %s: file %s not sent yet (%s)", run.pk, file_id,
                            type(exc).__name__)
        BillingRunItem.objects.filter(pk__in=[i.pk for i in chunk]).update(
            followed_up_at=timezone.now())


# --- deliver: the run's invoices -----------------------------------------------------------------
def _delivered_words(invoice: Invoice | None) -> tuple[str, str]:
    if invoice is None:
        return O.FAILED, "The invoice is gone."
    if invoice.status == InvoiceStatus.PAID:
        return O.BILLED, "Paid by the card on file" if invoice.on_stripe else "Paid"
    if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE):
        words = "Sent"
        if invoice.decline_reason:
            words = f"Sent; the card was declined: {invoice.decline_reason}"
        return O.BILLED, words
    if invoice.status == InvoiceStatus.SENDING:
        return O.BILLED, f"Sending, retried: {invoice.delivery_error}".rstrip(": ")
    if invoice.status == InvoiceStatus.DRAFT:
        return O.FAILED, f"Not sent: {invoice.delivery_error or 'left a Draft'}"
    return O.BILLED, invoice.get_status_display()


def _deliver(run: BillingRun, worker: str, kinds: tuple[str, ...] = (K.INVOICE,)) -> None:
    for chunk in _items(run, kinds, outcome=O.BILLED, followed_up=False):
        with transaction.atomic():
            _renew(run, worker)
        # Written after the chunk: a worker that dies mid-chunk leaves these items not
        # followed up, and the next one delivers them again (invoice_deliver is safe to
        # repeat: one Stripe invoice, one charge, one email). The chunk's emails go out in
        # one batch task, queued when the chunk is done.
        with email_kicks_held():
            outcomes = _deliver_chunk(chunk, run)
        outcomes.write()


def _deliver_chunk(chunk: list[BillingRunItem], run: BillingRun) -> _Outcomes:
    """Deliver the chunk's invoices, each in its own transactions; their outcomes, for the
    caller to write."""
    outcomes = _Outcomes()
    for item in chunk:
        if item.invoice_id is None:
            outcomes.set(item, None, item.reason, followed_up_at=timezone.now())
            continue
        try:
            invoice = invoice_deliver(invoice_id=item.invoice_id)
        except (DomainError, PaymentsError) as exc:
            # The invoice exists and stays Sending: its own retries and sweeper deliver
            # it; the run does not stop on one delivery.
            log.warning("billing run %s: invoice %s delivery raised %s", run.pk,
                        item.invoice_id, type(exc).__name__)
            outcomes.set(item, None, f"Sending, retried: {exc}",
                         followed_up_at=timezone.now())
            continue
        outcome, words = _delivered_words(invoice)
        outcomes.set(item, outcome, words, followed_up_at=timezone.now())
    return outcomes


# --- client shares -----------------------------------------------------------------------------
def _rc_id(item: BillingRunItem) -> int:
    return int(item.subject.split(":", 1)[1])


def _client_share(run: BillingRun, worker: str) -> None:
    ctx = _ctx(run)
    for chunk in _items(run, (K.CLIENT_SHARE,)):
        with transaction.atomic():
            _renew(run, worker)
            pending = _pending_locked(chunk)
            outcomes = _Outcomes()
            # The chunk's ERA claims in one query, not one per item.
            shares = (RemittanceClaim.objects.filter(practice_id=run.practice_id)
                      .select_related("remittance", "claim")
                      .in_bulk([_rc_id(item) for item in pending]))
            for item in pending:
                rc = shares.get(_rc_id(item))
                if rc is None:  # as .get() did: a share gone is an error, not a skip
                    raise RemittanceClaim.DoesNotExist(item.subject)
                try:
                    with transaction.atomic():
                        invoice = remittance_claim_invoice_create(
                            practice=run.practice, remittance_claim=rc, ctx=ctx,
                            actor=run.created_by)
                except AlreadyInvoiced:
                    outcomes.set(item, O.SKIPPED, "Invoiced outside this run.")
                    continue
                except DomainError as exc:
                    outcomes.set(item, O.SKIPPED, f"Nothing to invoice now: {error_text(exc)}")
                    continue
                except ValidationError:
                    outcomes.set(item, O.SKIPPED, "Nothing to invoice now.")
                    continue
                try:
                    with transaction.atomic():
                        invoice_send(invoice=invoice, ctx=ctx, actor=run.created_by,
                                     source=SOURCE, enqueue=False)
                except DomainError as exc:
                    outcomes.set(item, O.FAILED, f"Invoice left a Draft: {error_text(exc)}",
                                 invoice=invoice, amount=invoice.total)
                    continue
                outcomes.set(item, O.BILLED, "Sending", invoice=invoice, amount=invoice.total)
            outcomes.write()
    _deliver(run, worker, kinds=(K.CLIENT_SHARE,))


# --- secondary claims --------------------------------------------------------------------------
def _secondary(run: BillingRun, worker: str) -> None:
    ctx = _ctx(run)
    for chunk in _items(run, (K.SECONDARY,)):
        with transaction.atomic():
            _renew(run, worker)
            outcomes = _Outcomes()
            for item in _pending_locked(chunk):
                primary = Claim.objects.get(pk=item.claim_id, practice_id=run.practice_id)
                try:
                    with transaction.atomic():
                        outcome = claim_secondary_bill(claim=primary, ctx=ctx,
                                                       actor=run.created_by)
                except DomainError as exc:
                    already = Claim.objects.filter(appointment_id=primary.appointment_id,
                                                   payer_sequence="S").exists()
                    outcomes.set(item, O.SKIPPED if already else O.FAILED,
                         "Billed outside this run." if already else error_text(exc))
                    continue
                if outcome.failed:
                    outcomes.set(item, O.FAILED, f"The 837P builder refused it: {outcome.error}",
                                 claim=outcome.failed[0])
                else:
                    outcomes.set(item, O.BILLED, "Submitted", claim=outcome.submitted[0])
            outcomes.write()
    _transmit(run, worker, kinds=(K.SECONDARY,))


# --- report ------------------------------------------------------------------------------------
def _report(run: BillingRun, worker: str) -> None:
    """The summary, and the owner's email when anything failed, in the transaction that
    moves the run to done (so the email is written once)."""
    summary = billing_run_summary(run=run)
    failed = sum(int(v["failed"]) for v in summary.values())
    with transaction.atomic():
        _renew(run, worker)
        locked = BillingRun.objects.select_for_update().get(pk=run.pk)
        if locked.phase != P.REPORT:
            return
        BillingRun.objects.filter(pk=run.pk).update(summary=summary)
        owner = practice_owner(practice=run.practice)
        if failed and owner is not None and owner.email:
            email_send(
                practice=run.practice, to=owner.email, kind="autobilling_failures",
                subject=f"Auto-billing: {failed} item{'s' if failed != 1 else ''} need you",
                template="email/notice", ctx=_ctx(run), object_type="BillingRun",
                object_id=run.pk, context={
                    "heading": "Some items were not billed",
                    "paragraphs": [
                        f"The auto-billing run of {date_text(run.local_date)} could not bill "
                        f"{failed} item{'s' if failed != 1 else ''}. Each one is listed with "
                        "the reason and a link to fix it on the run's page.",
                        _summary_words(summary)],
                    "action_url": f"{settings.OASYS_BASE_URL}/billing/auto-billing/runs/"
                                  f"{run.pk}/",
                    "action_label": "Open the run"})
        _advance(run, worker, P.REPORT)


def _summary_words(summary: dict[str, dict[str, object]]) -> str:
    parts = []
    for kind, label in ItemKind.choices:
        row = summary.get(kind, {})
        if row.get("billed") or row.get("failed"):
            parts.append(f"{label}s: {row['billed']} billed (${row['total']}), "
                         f"{row['failed']} failed")
    return "; ".join(parts) or "Nothing was due."


PHASES: dict[str, Callable[[BillingRun, str], None]] = {
    P.SELECT: _select,
    P.BILL: _bill,
    P.TRANSMIT: _transmit,
    P.DELIVER: _deliver,
    P.CLIENT_SHARE: _client_share,
    P.SECONDARY: _secondary,
    P.REPORT: _report,
}
