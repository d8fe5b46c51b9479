"""Celery tasks of invoices: each is a thin wrapper over a service (the service does the
work and is what tests call). Delivery is queued on commit by `sending.invoice_send`; the
periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from .actions import invoices_overdue_mark, invoices_stripe_retries_run
from .bulk import invoice_batch_run
from .charging import invoices_card_retries_run
from .sending import (
    DELIVERY_TASK_RETRIES,
    delivery_backoff_seconds,
    delivery_retry_due,
    invoice_deliver,
    invoices_sending_sweep,
)


# --- sending
@shared_task(bind=True, acks_late=True, max_retries=DELIVERY_TASK_RETRIES)
def invoice_deliver_task(self, invoice_id: int) -> str:
    """Queued on commit by `invoice_send` (and by the sweeper): deliver one invoice. While
    Stripe cannot be reached the invoice stays Sending and this retries with a growing delay
    (30 s, 1, 2, 4 … minutes); after the last retry the sweeper carries on."""
    invoice = invoice_deliver(invoice_id=invoice_id)
    if delivery_retry_due(invoice) and self.request.retries < DELIVERY_TASK_RETRIES:
        raise self.retry(countdown=delivery_backoff_seconds(invoice.delivery_attempts))
    return invoice.status if invoice is not None else ""


@shared_task(name="invoices.sending_sweep", acks_late=True)
def invoices_sending_sweep_task() -> int:
    """Scheduled: invoices whose delivery kick was lost or whose worker died."""
    return invoices_sending_sweep()


# --- actions
@shared_task(name="invoices.overdue_mark")
def invoices_overdue_mark_task() -> int:
    """Scheduled hourly (idempotent): Open invoices past their due date in the practice's own
    today become Overdue."""
    return invoices_overdue_mark()


@shared_task(name="invoices.stripe_retries")
def invoices_stripe_retries_task() -> int:
    """Scheduled: Stripe calls an invoice action left unfinished (Stripe unreachable): the
    out-of-band marking of an invoice paid by hand, and pending refunds (same keys)."""
    return invoices_stripe_retries_run()


# --- charging
@shared_task(name="invoices.card_retries", acks_late=True)
def invoices_card_retries_task() -> int:
    """Scheduled every 15 minutes: charge the invoices whose card retry is due (the retry
    schedule after a decline, Stripe unreachable, an attempt a crashed worker left pending).
    Run twice at once, each invoice is charged once (the claim in charging.py)."""
    return invoices_card_retries_run()


# --- bulk
@shared_task(acks_late=True)
def invoice_batch_task(batch_id: int) -> dict:
    """Queued on commit by `bulk.invoice_batch_start` (and by Resume on the batch page): work
    through the batch's items not done yet. Delivered twice (acks_late after a lost worker),
    the second run finds the items done and only counts."""
    batch = invoice_batch_run(batch_id=batch_id)
    return {"done": batch.done, "failed": batch.failed, "total": batch.total}
