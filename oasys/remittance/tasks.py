"""Background work for remittances. Tasks take ids and are idempotent."""

from __future__ import annotations

from celery import shared_task

from oasys.core.audit import AuditContext
from oasys.core.models import Practice

from .services import remittance_client_invoices_create


@shared_task(acks_late=True)
def remittance_client_invoices_create_task(practice_id: int) -> int:
    """Create the practice's pending client-responsibility invoices (auto-billing)."""

    practice = Practice.objects.get(pk=practice_id)
    ctx = AuditContext.system(practice_id=practice.pk, source="auto-billing")
    return len(remittance_client_invoices_create(practice=practice, ctx=ctx))
