"""Celery tasks of invoices: each is a thin wrapper over a service (the service does the
work and is what tests call). Delivery is queued on commit by `sending.invoice_send`; the
periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from .actions import invoices_overdue_mark, invoices_stripe_retries_run
from .charging import invoices_card_retries_run


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
