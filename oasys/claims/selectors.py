"""Reads for Manage Claims."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from oasys.clients.models import InsurancePolicy, PolicyPriority
from oasys.core.era_codes import carc_text
from oasys.core.models import Practice
from oasys.core.text import search_text
from oasys.core.timezones import practice_today

from .denials import fix_for
from .models import Claim, ClaimNotice, Frequency
from .status import IN_FLIGHT, REPLACEMENT_EDITABLE, ClaimStatus

AGING_DAYS = 30


def claim_list(*, practice: Practice, tab: str = "all", status: str = "",
               query: str = "") -> QuerySet[Claim]:
    """The practice's claims (all of them by default; the base of every claim lookup)."""
    qs = Claim.objects.filter(practice=practice).select_related(
        "client", "payer", "clinician", "appointment"
    )
    if tab == "submitted":
        qs = qs.filter(status__in=IN_FLIGHT).order_by("submitted_at", "pk")
    elif tab == "denied":
        qs = qs.filter(status__in=[ClaimStatus.REJECTED, ClaimStatus.DENIED])
    elif tab == "secondary":
        # Primary claims paid in part, whose client has a secondary insurer not yet billed.
        qs = (qs.filter(status=ClaimStatus.PARTIAL, payer_sequence="P",
                        client__policies__priority="secondary",
                        client__policies__is_active=True,
                        client__policies__payer__isnull=False)
              .exclude(appointment__claims__payer_sequence="S").distinct())
    if status:
        qs = qs.filter(status=status)
    query = search_text(query)
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


def filing_deadline(claim: Claim) -> dict:
    """The payer's filing deadline for this claim's date of service, and whether it is near.
    Only open claims (not yet accepted by the payer) are at risk."""
    days = claim.payer.timely_filing_days or 90
    deadline = claim.service_date + timedelta(days=days)

    left = (deadline - practice_today(claim.practice)).days
    at_risk = claim.status in (ClaimStatus.DRAFT, ClaimStatus.REJECTED,
                               ClaimStatus.VALIDATION_FAILED, ClaimStatus.SUBMISSION_FAILED)
    return {"date": deadline, "days_left": left, "limit": days,
            "near": at_risk and 0 <= left <= 14, "passed": at_risk and left < 0}


def claim_adjustment_codes(*, claim: Claim) -> list[tuple[str, str, str]]:
    """(group, CARC, words) of the non-contractual adjustments on a claim's latest
    adjudication: what the Denied tab shows as the denial."""

    # Through the reverse relation remittance declares on a claim: remittance builds on
    # claims, so claims does not import it.
    latest = (claim.remittance_claims.filter(practice_id=claim.practice_id)
              .order_by("-remittance__payment_date", "-pk").first())
    if latest is None:
        return []
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for adj in latest.adjustments.all().order_by("pk"):
        key = (adj.group, adj.reason)
        if key in seen or (adj.group == "CO" and adj.reason == "45"):
            continue
        seen.add(key)
        out.append((adj.group, adj.reason, carc_text(adj.reason) or f"CARC {adj.reason}"))
    return out


def claim_denial_summary(claim: Claim) -> dict:
    """The latest rejection or denial of a claim in words, its codes and a suggested fix."""

    summary = {"codes": [], "text": "", "fix": ""}
    notice = claim.notices.filter(applied_status__in=[ClaimStatus.REJECTED,
                                                      ClaimStatus.DENIED]).first()
    if notice is not None:
        summary["codes"].append(f"{notice.category}:{notice.code}" if notice.code
                                else notice.category)
        summary["text"] = notice.message
        summary["fix"] = fix_for(status_code=notice.code)

    for group, carc, words in claim_adjustment_codes(claim=claim):
        summary["codes"].append(f"{group}-{carc}")
        if not summary["text"]:
            summary["text"] = words
        summary["fix"] = summary["fix"] or fix_for(carc=carc)
    if not summary["text"]:
        event = claim.events.filter(to_status=claim.status).last()
        summary["text"] = event.reason if event else ""
    return summary


def claim_notice_unmatched_list(*, practice: Practice, limit: int = 500) -> list:
    return list(ClaimNotice.objects.filter(practice=practice, claim__isnull=True)
                .select_related("edi_file").order_by("-created_at", "-pk")[:limit])


def claim_notice_unmatched_count(*, practice: Practice) -> int:
    return ClaimNotice.objects.filter(practice=practice, claim__isnull=True).count()


def secondary_policy_get(*, claim: Claim) -> InsurancePolicy | None:
    """The client's active secondary policy with a payer, which a secondary claim bills."""
    return (InsurancePolicy.objects.filter(client_id=claim.client_id, is_active=True,
                                           priority=PolicyPriority.SECONDARY,
                                           payer__isnull=False)
            .select_related("payer").first())


def claim_replacement_draft_get(*, original: Claim) -> Claim | None:
    """The replacement of `original` the biller is editing (not yet sent), if any."""
    return (Claim.objects.filter(practice_id=original.practice_id, corrects=original,
                                 frequency=Frequency.REPLACEMENT,
                                 status__in=REPLACEMENT_EDITABLE)
            .prefetch_related("lines").order_by("-pk").first())
