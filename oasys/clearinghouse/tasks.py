"""Celery tasks: take ids, idempotent, no PHI in arguments."""

from __future__ import annotations

from celery import shared_task

from oasys.core.audit import AuditContext
from oasys.practice.models import Enrollment

# services.py queues edi_file_transmit_task, so this module reads services' functions at call
# time (`services.x`) rather than binding them while services.py is still being imported.
from . import services
from .port import RetryableError


@shared_task(acks_late=True)
def clearinghouse_poll_task() -> dict:
    result = services.reports_poll()
    return {"stored": len(result.stored), "duplicates": result.duplicates,
            "failed": len(result.failed)}


@shared_task(bind=True, acks_late=True, max_retries=12)
def edi_file_transmit_task(self, edi_file_id: int) -> str:
    try:
        return services.edi_file_transmit(edi_file_id=edi_file_id).status
    except RetryableError as exc:
        # the same row, so the same idempotency key: a retry cannot duplicate the claim
        raise self.retry(exc=exc, countdown=min(3600, 30 * 2 ** self.request.retries)) from exc


@shared_task(acks_late=True)
def enrollments_refresh_task() -> int:
    return services.enrollments_refresh()


@shared_task(bind=True, acks_late=True, max_retries=8)
def enrollment_submit_task(self, enrollment_id: int) -> str:
    enrollment = Enrollment.objects.get(pk=enrollment_id)
    ctx = AuditContext.system(practice_id=enrollment.practice_id, source="clearinghouse")
    try:
        return services.enrollment_submit(enrollment=enrollment, ctx=ctx).status
    except RetryableError as exc:
        raise self.retry(exc=exc, countdown=min(3600, 60 * 2 ** self.request.retries)) from exc
