"""Celery tasks: take ids, idempotent, no PHI in arguments. Every task here is either in
CELERY_BEAT_SCHEDULE (settings.py) or queued by a service."""

from __future__ import annotations

from celery import shared_task

from .models import FileStatus
from .port import RetryableError
from .services import edi_file_transmit, edi_files_sweep, enrollments_refresh, reports_poll


@shared_task(acks_late=True)
def clearinghouse_poll_task() -> dict:
    """Scheduled: fetch new inbound reports (999, 277CA, 835)."""
    result = reports_poll()
    return {"stored": len(result.stored), "duplicates": result.duplicates,
            "failed": len(result.failed)}


@shared_task(acks_late=True)
def edi_file_transmit_task(edi_file_id: int) -> str:
    """Queued on commit by `edi_file_submit`: send one outbound file now."""
    try:
        return edi_file_transmit(edi_file_id=edi_file_id).status
    except RetryableError:
        # the file is left retrying with its due time; the sweeper sends it again (the same
        # row, so the same idempotency key: a retry cannot duplicate the claims)
        return FileStatus.RETRYING


@shared_task(acks_late=True)
def edi_files_sweep_task() -> dict:
    """Scheduled: send due retries, lost kicks and files a crashed worker left sending."""
    return edi_files_sweep()


@shared_task(acks_late=True)
def enrollments_refresh_task() -> int:
    """Scheduled: follow pending enrollments at the clearinghouse."""
    return enrollments_refresh()
