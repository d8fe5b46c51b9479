"""The operator's periodic task: delete the practices whose deletion grace period is over
(scheduled in settings.CELERY_BEAT_SCHEDULE). Idempotent: a practice deleted is gone."""

from __future__ import annotations

from celery import shared_task

from .services import practices_purge_due


@shared_task(name="operator.practices_purge", acks_late=True)
def practices_purge_task() -> int:
    return len(practices_purge_due())
