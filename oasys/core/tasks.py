"""Celery tasks of core: delivering recorded emails; checkpointing and verifying the audit
log. Tasks take ids, are idempotent, and never carry PHI in arguments."""

from __future__ import annotations

from celery import shared_task

from .audit import audit_checkpoint_write, audit_verify_nightly
from .outbound_mail import (
    EmailDeliveryRetry,
    sent_email_deliver,
    sent_emails_deliver,
    sent_emails_sweep,
)

# Backstop only: the email's own attempt counter (EMAIL_MAX_ATTEMPTS) decides when to stop.
_TASK_MAX_RETRIES = 10


@shared_task(bind=True, acks_late=True, max_retries=_TASK_MAX_RETRIES)
def sent_email_deliver_task(self, sent_email_id: int) -> str:
    """Queued on commit by `email_send`: deliver one email, retrying temporary failures with
    a growing delay (30 s, 1, 2, 4, 8 minutes)."""
    try:
        return sent_email_deliver(sent_email_id=sent_email_id)
    except EmailDeliveryRetry as exc:
        raise self.retry(exc=exc, countdown=30 * 2 ** self.request.retries) from exc


@shared_task(acks_late=True)
def sent_emails_deliver_task(sent_email_ids: list[int]) -> dict[int, str]:
    """Queued on commit for the emails one transaction wrote: deliver them over one
    connection; one that meets a temporary failure is retried on its own task."""
    return sent_emails_deliver(sent_email_ids=sent_email_ids)


@shared_task(acks_late=True)
def sent_emails_sweep_task() -> int:
    """Scheduled: deliver queued emails whose kick was lost or whose worker died."""
    return sent_emails_sweep()


@shared_task(acks_late=True)
def audit_checkpoint_task() -> int:
    """Scheduled (hourly): a signed checkpoint of every audit chain's head, outside the
    database. Answers how many chains were checkpointed."""
    return len(audit_checkpoint_write())


@shared_task(acks_late=True)
def audit_verify_task() -> int:
    """Scheduled (nightly): verify every audit chain, checkpoint the intact ones, alert the
    operators about broken ones. Answers how many are broken."""
    return sum(1 for b in audit_verify_nightly().values() if b is not None)
