"""Reads for Manage Claims."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from oasys.core.models import Practice

from .models import Claim
from .status import IN_FLIGHT, ClaimStatus

AGING_DAYS = 30


def claim_qs(*, practice: Practice) -> QuerySet[Claim]:
    return Claim.objects.filter(practice=practice).select_related(
        "client", "payer", "clinician", "appointment"
    )


def claim_list(*, practice: Practice, tab: str = "all", status: str = "",
               query: str = "") -> QuerySet[Claim]:
    qs = claim_qs(practice=practice)
    if tab == "submitted":
        qs = qs.filter(status__in=IN_FLIGHT).order_by("submitted_at", "pk")
    elif tab == "denied":
        qs = qs.filter(status__in=[ClaimStatus.REJECTED, ClaimStatus.DENIED])
    elif tab == "secondary":
        qs = qs.filter(status=ClaimStatus.PARTIAL, payer_sequence="P",
                       client__policies__priority="secondary",
                       client__policies__is_active=True).distinct()
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(patient_control_number__icontains=query) | qs.filter(
            client__last_name__icontains=query
        )
    return qs


def claim_age_days(claim: Claim) -> int | None:
    if claim.submitted_at is None:
        return None
    return (timezone.now() - claim.submitted_at).days


def is_aging(claim: Claim) -> bool:
    age = claim_age_days(claim)
    return age is not None and age > AGING_DAYS and claim.status in IN_FLIGHT


def claim_counts(*, practice: Practice) -> dict[str, int]:
    qs = Claim.objects.filter(practice=practice)
    return {
        "all": qs.count(),
        "submitted": qs.filter(status__in=IN_FLIGHT).count(),
        "denied": qs.filter(status__in=[ClaimStatus.REJECTED, ClaimStatus.DENIED]).count(),
        "aging": qs.filter(status__in=IN_FLIGHT,
                           submitted_at__lt=timezone.now() - timedelta(days=AGING_DAYS)).count(),
    }
