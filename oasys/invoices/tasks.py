"""Celery tasks of invoices: each is a thin wrapper over a service (the service does the
work and is what tests call). Delivery is queued on commit by `sending.invoice_send`; the
periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from .bulk import invoice_batch_run


# --- bulk
@shared_task(acks_late=True)
def invoice_batch_task(batch_id: int) -> dict:
    """Queued on commit by `bulk.invoice_batch_start` (and by Resume on the batch page): work
    through the batch's items not done yet. Delivered twice (acks_late after a lost worker),
    the second run finds the items done and only counts."""
    batch = invoice_batch_run(batch_id=batch_id)
    return {"done": batch.done, "failed": batch.failed, "total": batch.total}
