"""Celery tasks of statements: thin wrappers over services (tests call the services). The
periodic one is scheduled in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations

from celery import shared_task

from .services import statement_run_monthly


@shared_task(name="statements.run_monthly")
def statement_run_monthly_task() -> dict[str, int]:
    """Scheduled hourly (idempotent): last month's statements of the practices that send
    them, in the first days of each practice's month."""
    return statement_run_monthly()
