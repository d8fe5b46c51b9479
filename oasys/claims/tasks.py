"""Periodic claim work. Tasks take ids, are idempotent and safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Max, Q
from django.utils import timezone

from oasys.clearinghouse.port import ClearinghouseError
from oasys.core.audit import AuditContext
from oasys.core.models import Practice

from .actions import claim_status_inquire
from .models import Claim
from .status import IN_FLIGHT

log = logging.getLogger(__name__)


def claims_needing_inquiry(*, now=None):
    """Claims in flight for longer than their practice's threshold with no news (no event,
    no notice and no inquiry) in that time."""

    now = now or timezone.now()
    out = []
    for practice in Practice.objects.in_service():  # a suspended practice is skipped
        cutoff = now - timedelta(days=practice.claim_status_inquiry_days)
        qs = (
            Claim.objects.filter(practice=practice, status__in=IN_FLIGHT,
                                 submitted_at__lt=cutoff)
            .filter(Q(last_status_inquiry_at__isnull=True) | Q(last_status_inquiry_at__lt=cutoff))
            .annotate(last_event=Max("events__created_at"))
            .filter(last_event__lt=cutoff)
        )
        out.extend(qs.values_list("pk", flat=True))
    return out


@shared_task(name="claims.status_inquiries")
def claim_status_inquiries_task() -> int:
    """Ask about every quiet in-flight claim (one 276 each, in real time)."""

    asked = 0
    for pk in claims_needing_inquiry():
        claim = Claim.objects.select_related("practice", "payer", "policy", "client").get(pk=pk)
        try:
            claim_status_inquire(
                claim=claim,
                ctx=AuditContext.system(practice_id=claim.practice_id, source="status inquiry"),
            )
            asked += 1
        except ClearinghouseError as exc:
            log.warning("claim status inquiry for claim %s failed: %s", pk, exc.message)
    return asked
