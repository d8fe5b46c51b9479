"""Reads for Manage Claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from oasys.clients.models import InsurancePolicy, PolicyPriority
from oasys.core.era_codes import carc_text
from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.text import search_text
from oasys.core.timezones import practice_today, practice_zone

from .denials import fix_for
from .models import Claim, ClaimNotice, Frequency, SavedFilter
from .status import IN_FLIGHT, REPLACEMENT_EDITABLE, ClaimStatus

AGING_DAYS = 30


def claim_list(*, practice: Practice, tab: str = "all", status: str = "",
               query: str = "", statuses: list[str] | None = None,
               payer_id: int | None = None, clinician_id: int | None = None,
               client_id: int | None = None, dos_from: dt.date | None = None,
               dos_to: dt.date | None = None, submitted_from: dt.date | None = None,
               submitted_to: dt.date | None = None,
               age_min: int | None = None) -> QuerySet[Claim]:
    """The practice's claims (all of them by default; the base of every claim lookup),
    narrowed by the list's filters: several statuses at once, payer, clinician, client,
    a date-of-service range, a submitted range (inclusive days in the practice's time zone)
    and `age_min`, at least that many whole days since submission."""
    qs = Claim.objects.filter(practice=practice).select_related(
        "practice", "client", "payer", "clinician", "appointment"
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
    if statuses:
        qs = qs.filter(status__in=statuses)
    if payer_id:
        qs = qs.filter(payer_id=payer_id)
    if clinician_id:
        qs = qs.filter(clinician_id=clinician_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    if dos_from:
        qs = qs.filter(service_date__gte=dos_from)
    if dos_to:
        qs = qs.filter(service_date__lte=dos_to)
    if submitted_from:
        qs = qs.filter(submitted_at__gte=_day_start(submitted_from, practice))
    if submitted_to:
        qs = qs.filter(submitted_at__lt=_day_start(submitted_to + timedelta(days=1), practice))
    if age_min is not None:
        # the same measure as claim_age_days: whole days since the moment of submission
        qs = qs.filter(submitted_at__lte=timezone.now() - timedelta(days=age_min))
    query = search_text(query)
    if query:
        qs = qs.filter(patient_control_number__icontains=query) | qs.filter(
            client__last_name__icontains=query
        )
    return qs


def _day_start(day: dt.date, practice: Practice) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_zone(practice))


@dataclass(frozen=True)
class ClaimTotals:
    count: int
    charge: Decimal
    paid: Decimal
    client_share: Decimal


def claim_totals(*, claims: QuerySet[Claim]) -> ClaimTotals:
    """Charge, paid and client share summed over a filtered list, in one aggregate query
    (over the claims' ids, so a tab's joins and DISTINCT cannot double a row)."""
    agg = Claim.objects.filter(pk__in=claims.order_by().values("pk")).aggregate(
        count=Count("pk"), charge=Sum("total_charge"), paid=Sum("paid_amount"),
        share=Sum("patient_responsibility"))
    return ClaimTotals(count=agg["count"], charge=money(agg["charge"] or ZERO),
                       paid=money(agg["paid"] or ZERO), client_share=money(agg["share"] or ZERO))


# CARCs of the client-responsibility group (PR) that have a name people know.
SHARE_WORDS = {"1": "deductible", "2": "coinsurance", "3": "copay"}


def claim_status_words(*, claims: list[Claim]) -> dict[int, str]:
    """How the list words each claim's status. A Partial claim whose payer paid everything
    but the client's share (its latest 835 leaves nothing open) reads "Paid, client owes
    copay" (coinsurance, deductible, or several: "copay and deductible"); every other claim
    reads its status's name. Two queries for a page (or a chunk of an export)."""
    words = {c.pk: c.get_status_display() for c in claims}
    partial = [c.pk for c in claims if c.status == ClaimStatus.PARTIAL]
    if not partial:
        return words
    # Through the reverse relation remittance declares on a claim: remittance builds on
    # claims, so claims does not import it.
    era_claim = Claim._meta.get_field("remittance_claims").related_model  # noqa: SLF001
    latest: dict[int, tuple[int, Decimal, Decimal]] = {}
    for rc_id, claim_id, open_amount, share in (
            era_claim.objects.filter(claim_id__in=partial)
            .order_by("claim_id", "remittance__payment_date", "pk")
            .values_list("pk", "claim_id", "open_amount", "client_share")):
        latest[claim_id] = (rc_id, open_amount, share)  # the last one wins
    only_share = {rc_id: claim_id for claim_id, (rc_id, open_amount, share) in latest.items()
                  if open_amount == 0 and share > 0}
    reasons: dict[int, set[str]] = {claim_id: set() for claim_id in only_share.values()}
    adjustment = era_claim._meta.get_field("adjustments").related_model  # noqa: SLF001
    for rc_id, reason in (adjustment.objects.filter(remittance_claim_id__in=only_share,
                                                    group="PR", amount__gt=0)
                          .values_list("remittance_claim_id", "reason")):
        reasons[only_share[rc_id]].add(reason)
    for claim_id, codes in reasons.items():
        named = [SHARE_WORDS[c] for c in ("3", "2", "1") if c in codes]
        what = " and ".join(named) if named else "their share"
        words[claim_id] = f"Paid, client owes {what}"
    return words


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
def saved_filter_list(*, practice: Practice, user, list_name: str = "claims") -> QuerySet:
    """This user's saved filters of a list in this practice, by name."""
    return SavedFilter.objects.filter(practice=practice, user=user, list_name=list_name)
