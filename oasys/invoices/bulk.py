"""Bulk send and bulk resend from Manage Invoices: a batch of the invoices ticked, worked
through by a Celery task while the batch page shows its progress.

- `invoice_batch_start` keeps the practice's invoices that the action allows now (one item
  each, unique by constraint) and reports the others as skipped with the reason; the task
  is queued once the batch is committed.
- `invoice_batch_run` (the task's body) works through the items not done yet. Each item is
  claimed, acted on and marked done in one transaction, so a worker that dies midway leaves
  every item either done (its send or reminder committed with it) or untouched; running the
  batch again (Celery redelivers a task acked late; the batch page offers to resume a stalled
  batch) finishes the rest and does nothing twice. An item that fails records the reason
  and the batch goes on.

For "send" the item moves the invoice to Sending (`sending.invoice_send`, which queues its
delivery on commit) and then delivers it in this worker (`sending.invoice_deliver`, which does
nothing to an invoice that has already left Sending, e.g. delivered by its own task that ran
on commit): the batch's figures say what was delivered, not just queued. An invoice whose
delivery did not finish stays Sending or goes back to Draft as `sending` decides; its item
records the delivery error.

Counts: `done` is the items that succeeded, `failed` the ones with an error, so done + failed
out of total is the progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import DomainError, InvalidInput
from oasys.core.feedback import error_text
from oasys.core.models import AuditAction, Practice, User

from .machine import INVOICE_MACHINE
from .models import (
    BatchAction,
    Invoice,
    InvoiceBatch,
    InvoiceBatchItem,
    InvoiceStatus,
)
from .sending import invoice_deliver, invoice_resend, invoice_send

S = InvoiceStatus
log = logging.getLogger(__name__)

# The machine's action behind each batch action (its refusal is the skip reason).
MACHINE_ACTION = {BatchAction.SEND: "send", BatchAction.RESEND: "resend"}
# A batch is as large as a practice's month: the screen ticks one page at most, the API more.
MAX_BATCH = 5000
# Delivered: what a sent invoice becomes once it is out (paid at once by a card on file).
DELIVERED = frozenset({S.OPEN, S.PAID, S.OVERDUE})
ITEM_CHUNK = 200  # items loaded (with their invoices and clients) per query


@dataclass(frozen=True)
class Skipped:
    """An invoice asked for that the batch leaves out, and why (shown to the user)."""

    invoice_id: int
    number: str  # "" when the invoice is not the practice's (nothing about it is shown)
    reason: str


def _ids_clean(invoice_ids: Iterable[object]) -> list[int]:
    seen: dict[int, None] = {}
    for raw in invoice_ids:
        try:
            pk = int(str(raw).strip())
        except (TypeError, ValueError):
            raise InvalidInput({"invoice_ids": "Invoices are chosen by their ids."}) from None
        if pk > 0:
            seen.setdefault(pk, None)
    return list(seen)


def invoice_batch_start(*, practice: Practice, invoice_ids: Iterable[object], action: str,
                        ctx: AuditContext, actor: User | None = None) -> InvoiceBatch:
    """A batch of `action` ("send" or "resend") over the practice's invoices among
    `invoice_ids` that the action allows now, and its task queued on commit. The returned
    batch carries `skipped` (a list of Skipped): ids that are not the practice's invoices,
    and invoices the action does not allow, with the machine's reason. Refused
    (InvalidInput) when nothing is left to do."""
    if action not in MACHINE_ACTION:
        raise InvalidInput({"action": "Choose send or resend."})
    ids = _ids_clean(invoice_ids)
    if not ids:
        raise InvalidInput({"invoice_ids": "Tick at least one invoice."})
    if len(ids) > MAX_BATCH:
        raise InvalidInput({"invoice_ids": f"At most {MAX_BATCH} invoices in one batch."})
    found = {inv.pk: inv for inv in Invoice.objects.filter(practice=practice, pk__in=ids)
             .only("pk", "number", "status", "practice_id", "client_id")}
    name = MACHINE_ACTION[action]
    chosen: list[Invoice] = []
    skipped: list[Skipped] = []
    for pk in ids:
        inv = found.get(pk)
        if inv is None:  # another practice's, or gone: say nothing about it
            skipped.append(Skipped(pk, "", "Not one of this practice's invoices."))
        elif not INVOICE_MACHINE.allows(inv, name):
            try:
                INVOICE_MACHINE.require_action(inv, name)
            except DomainError as exc:
                skipped.append(Skipped(pk, inv.number, error_text(exc)))
        else:
            chosen.append(inv)
    if not chosen:
        reasons = "; ".join(f"{s.number or s.invoice_id}: {s.reason}" for s in skipped[:5])
        raise InvalidInput({"invoice_ids": f"None of these invoices can be "
                                           f"{'sent' if action == 'send' else 'resent'} "
                                           f"now ({reasons})."})
    with transaction.atomic():
        batch = InvoiceBatch.objects.create(practice=practice, action=action,
                                            total=len(chosen), created_by=actor)
        InvoiceBatchItem.objects.bulk_create([
            InvoiceBatchItem(practice=practice, batch=batch, invoice_id=inv.pk)
            for inv in chosen])
        audit_record(ctx=ctx, action=AuditAction.CREATE, category="invoice_batch",
                     object_type="InvoiceBatch", object_id=batch.pk,
                     detail={"action": action, "items": len(chosen),
                             "skipped": len(skipped)})
        transaction.on_commit(lambda: _enqueue(batch.pk), robust=True)
    batch.skipped = skipped  # type: ignore[attr-defined]
    return batch


def _enqueue(batch_id: int) -> None:
    # tasks.py imports this module: the task is looked up when queued
    from .tasks import invoice_batch_task  # noqa: PLC0415

    invoice_batch_task.delay(batch_id)


def invoice_batch_resume(*, practice: Practice, batch_id: int, ctx: AuditContext) -> InvoiceBatch:
    """Queue the batch's task again (a worker died midway and the task was lost). Harmless
    when it is still running: items are claimed one at a time, each done once."""
    batch = InvoiceBatch.objects.get(practice=practice, pk=batch_id)
    if batch.finished_at is None:
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice_batch",
                     object_type="InvoiceBatch", object_id=batch.pk,
                     detail={"resumed": True})
        transaction.on_commit(lambda: _enqueue(batch.pk), robust=True)
    return batch


def _ctx_for(batch: InvoiceBatch) -> AuditContext:
    """The person who started the batch acts in the worker (their name is on each event)."""
    user = batch.created_by
    if user is None:
        return AuditContext.system(practice_id=batch.practice_id, source="bulk send")
    return AuditContext(user_id=user.pk, user_email=user.email, practice_id=batch.practice_id)


def _pending(batch: InvoiceBatch) -> Iterable[InvoiceBatchItem]:
    """The items not done, a chunk at a time, each with its invoice, client and practice
    loaded in the chunk's one query (keyset by pk: items done meanwhile drop out)."""
    last = 0
    while True:
        chunk = list(InvoiceBatchItem.objects
                     .filter(batch=batch, done_at__isnull=True, pk__gt=last)
                     .select_related("invoice", "invoice__client", "invoice__practice")
                     .order_by("pk")[:ITEM_CHUNK])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].pk


def invoice_batch_run(*, batch_id: int) -> InvoiceBatch:
    """Work through the batch's items not done yet; see the module docstring. Returns the
    batch with its counts. Safe to run twice at once or after a crash."""
    batch = InvoiceBatch.objects.select_related("created_by").get(pk=batch_id)
    ctx = _ctx_for(batch)
    actor = batch.created_by
    for item in _pending(batch):
        if batch.action == BatchAction.SEND:
            _send_one(item=item, ctx=ctx, actor=actor)
        else:
            _resend_one(item=item, ctx=ctx, actor=actor)
    return _finish(batch)


def _claimed(item: InvoiceBatchItem) -> bool:
    """Take the item for this worker, inside the caller's transaction: one conditional
    update (a row lock on PostgreSQL, the write lock on SQLite), so two workers never both
    act on it, and a rollback gives it back."""
    return InvoiceBatchItem.objects.filter(pk=item.pk, done_at__isnull=True).update(
        done_at=timezone.now()) == 1


def _count(item: InvoiceBatchItem, error: str) -> None:
    if error:
        InvoiceBatchItem.objects.filter(pk=item.pk).update(error=error[:300])
        InvoiceBatch.objects.filter(pk=item.batch_id).update(failed=F("failed") + 1,
                                                             updated_at=timezone.now())
    else:
        InvoiceBatch.objects.filter(pk=item.batch_id).update(done=F("done") + 1,
                                                             updated_at=timezone.now())


def _attempt(item: InvoiceBatchItem, act: Callable[[], object]) -> str:
    """Run one item's action in a savepoint: "" when it went through, else the reason
    (rolled back alone; the claim stays). A fault that is not a refusal is recorded too (and
    logged by ids only): one invoice never stops the batch."""
    try:
        with transaction.atomic():
            act()
    except DomainError as exc:
        return error_text(exc)
    except Exception as exc:  # noqa: BLE001
        log.exception("bulk %s: invoice %s failed", item.batch_id, item.invoice_id)
        return f"Could not be done ({type(exc).__name__}); try it again from the invoice."
    return ""


def _send_one(*, item: InvoiceBatchItem, ctx: AuditContext, actor: User | None) -> None:
    invoice = item.invoice
    with transaction.atomic():
        if not _claimed(item):
            return
        error = _attempt(item, lambda: invoice_send(invoice=invoice, ctx=ctx, actor=actor,
                                                    source="bulk send"))
        if error:
            _count(item, error)
            return
    # Committed: the invoice is Sending and its item done. Deliver it here unless its own
    # task already did (Celery eager, or a fast worker). A crash now leaves a Sending
    # invoice, which the sending sweep delivers; the item stays done and uncounted until
    # the batch is finished (the counts are taken again then).
    status, problem = Invoice.objects.filter(pk=invoice.pk).values_list(
        "status", "delivery_error").first() or ("", "")
    error = ""
    try:
        if status == S.SENDING:
            delivered = invoice_deliver(invoice_id=invoice.pk)
            if delivered is not None:
                status, problem = delivered.status, delivered.delivery_error
    except DomainError as exc:
        status, problem = S.SENDING, error_text(exc)
    except Exception as exc:  # noqa: BLE001 - one invoice's fault never stops the batch
        log.exception("bulk %s: delivering invoice %s failed", item.batch_id, invoice.pk)
        status, problem = S.SENDING, f"Delivery stopped ({type(exc).__name__}); it is retried."
    if status not in DELIVERED:
        error = problem or (f"Not delivered yet: the invoice is "
                            f"{INVOICE_MACHINE.label(status or '')}.")
    _count(item, error)


def _resend_one(*, item: InvoiceBatchItem, ctx: AuditContext, actor: User | None) -> None:
    with transaction.atomic():
        if not _claimed(item):
            return
        # the reminder's email row commits with the item; the mail goes out on commit
        _count(item, _attempt(item, lambda: invoice_resend(invoice=item.invoice, ctx=ctx,
                                                           actor=actor)))


def _finish(batch: InvoiceBatch) -> InvoiceBatch:
    """Take the counts from the items (a crash between an item and its count is forgiven
    here) and mark the batch finished once no item is left."""
    with transaction.atomic():
        locked = InvoiceBatch.objects.select_for_update().get(pk=batch.pk)
        items = InvoiceBatchItem.objects.filter(batch=locked)
        done_items = items.filter(done_at__isnull=False)
        locked.failed = done_items.exclude(error="").count()
        locked.done = done_items.filter(error="").count()
        if locked.finished_at is None and not items.filter(done_at__isnull=True).exists():
            locked.finished_at = timezone.now()
        locked.save(update_fields=["done", "failed", "finished_at", "updated_at"])
    return locked
