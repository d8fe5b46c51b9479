"""Celery tasks of payments: take ids, idempotent, no PHI in arguments. Every task here is
either in CELERY_BEAT_SCHEDULE (settings.py) or queued by a service."""

from __future__ import annotations

from celery import shared_task

from .webhooks import stripe_event_process, stripe_events_sweep


@shared_task(acks_late=True)
def stripe_event_process_task(event_id: int) -> str:
    """Queued on commit by `stripe_event_receive`: process one stored webhook event (our row
    id). Delivered twice (acks_late after a lost worker), it finds the event processed and
    does nothing; a handler that fails leaves the event failed for the sweeper."""
    return stripe_event_process(event_id=event_id).state


@shared_task(acks_late=True)
def stripe_events_sweep_task() -> dict:
    """Scheduled: events whose on-commit kick was lost, and failed ones due a retry."""
    return stripe_events_sweep()
