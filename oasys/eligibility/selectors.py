"""Reads of eligibility checks, usage fees, wizard drafts and card photos. Every selector
takes the practice and never looks outside it (another practice's ids find nothing).

Selectors do not audit: the view or API route that shows client data records the read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth

from oasys.clients.models import Client
from oasys.core.models import Practice
from oasys.core.money import ZERO, money

from .models import CheckOutcome, EligibilityCheck, InsuranceCard, InsuranceWizardDraft, UsageFee


def eligibility_check_list(
    *, practice: Practice, client: Client | None = None
) -> QuerySet[EligibilityCheck]:
    """The practice's checks (one client's when given), newest first."""
    qs = EligibilityCheck.objects.filter(practice=practice)
    if client is not None:
        qs = qs.filter(client=client)
    return qs.select_related("client", "payer", "policy", "requested_by", "fee").order_by(
        "-created_at", "-pk"
    )


def eligibility_check_latest(*, practice: Practice, client: Client) -> EligibilityCheck | None:
    """The newest finished check of the client (pending ones are still on their way)."""
    return (
        eligibility_check_list(practice=practice, client=client)
        .exclude(outcome="pending")
        .first()
    )


# A finished check that says the client cannot be billed to this insurance as it stands:
# coverage inactive, or no usable answer (rejected, not answered, not checkable).
FAILING_OUTCOMES = (CheckOutcome.INACTIVE, CheckOutcome.REJECTED, CheckOutcome.NO_RESPONSE,
                    CheckOutcome.ERROR)


def eligibility_check_failing_list(*, practice: Practice) -> QuerySet[EligibilityCheck]:
    """Each client's newest finished check, where that check failed or found the coverage
    inactive (a newer good check clears an older failure), oldest client name first. One
    query whatever the number of clients."""
    newest = (EligibilityCheck.objects.filter(practice=practice, client=OuterRef("client"))
              .exclude(outcome=CheckOutcome.PENDING).order_by("-created_at", "-pk")
              .values("pk")[:1])
    return (eligibility_check_list(practice=practice)
            .filter(pk=Subquery(newest), outcome__in=FAILING_OUTCOMES)
            .order_by("client__last_name", "client__first_name", "pk"))


def usage_fee_list(
    *, practice: Practice, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[UsageFee]:
    qs = UsageFee.objects.filter(practice=practice).select_related(
        "eligibility_check", "eligibility_check__payer"
    )
    if start is not None:
        qs = qs.filter(occurred_at__gte=start)
    if end is not None:
        qs = qs.filter(occurred_at__lt=end)
    return qs.order_by("-occurred_at", "-pk")


@dataclass(frozen=True, slots=True)
class MonthTotal:
    month: dt.date
    count: int
    total: Decimal


def usage_fee_monthly_totals(*, practice: Practice, tzinfo: dt.tzinfo) -> list[MonthTotal]:
    """Per calendar month (in the practice's time zone): how many fees and their sum."""
    rows = (
        UsageFee.objects.filter(practice=practice)
        .annotate(month=TruncMonth("occurred_at", tzinfo=tzinfo))
        .values("month")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("-month")
    )
    out = []
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        out.append(MonthTotal(month, row["count"], money(row["total"] or ZERO)))
    return out


def insurance_wizard_draft_get(
    *, practice: Practice, client: Client
) -> InsuranceWizardDraft | None:
    return InsuranceWizardDraft.objects.filter(practice=practice, client=client).first()


def insurance_card_list(
    *, practice: Practice, client: Client, current_only: bool = True
) -> QuerySet[InsuranceCard]:
    """The client's card photos: the current ones, or with `current_only=False` also the
    replaced ones (kept, not listed)."""
    qs = InsuranceCard.objects.filter(practice=practice, client=client)
    if current_only:
        qs = qs.filter(replaced_at__isnull=True)
    return qs.order_by("priority", "side")
