"""Reads of auto-billing: a practice's setting, what a run would bill now (the same selection
the run's first phase stores), when the next run is, and the runs with their items."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from oasys.billing.readiness import Route, billing_queue, unbilled_sessions
from oasys.claims.selectors import claim_list
from oasys.core.models import Practice
from oasys.core.timezones import practice_date, practice_zone
from oasys.remittance.selectors import client_share_pending, remittance_claim_client_share_list

from . import schedule
from .models import (
    AutoBillingSettings,
    BillingRun,
    BillingRunEvent,
    BillingRunItem,
    ItemKind,
    ItemOutcome,
    RunTrigger,
)


def autobilling_settings_get(*, practice: Practice) -> AutoBillingSettings:
    """The practice's setting; an unsaved row with the defaults (off) when it has none."""
    found = AutoBillingSettings.objects.filter(practice=practice).first()
    return found or AutoBillingSettings(practice=practice)


@dataclass(frozen=True)
class Candidate:
    """One item a run would bill now (runner.py stores each as a BillingRunItem)."""

    kind: str
    subject: str
    amount: Decimal
    appointment_id: int | None = None
    client_id: int | None = None
    claim_id: int | None = None  # SECONDARY: the primary claim
    remittance_claim_id: int | None = None  # CLIENT_SHARE


def run_candidates(*, practice: Practice, bill_from: dt.date | None) -> list[Candidate]:
    """Every fully Ready item of the practice on or after `bill_from` (None: all): Ready
    sessions (as claims or cash-pay invoices), primary claims paid in part whose client has
    a secondary insurer not billed yet, and ERA client shares not invoiced yet -- except the
    share of a claim about to go to a secondary insurer (held for its answer, as a biller
    would)."""
    out: list[Candidate] = []
    for item in billing_queue(practice=practice, sessions=unbilled_sessions(practice=practice)):
        if not item.ready or item.charge is None:
            continue
        if bill_from is not None and item.service_date < bill_from:
            continue
        appt = item.appointment
        out.append(Candidate(
            kind=ItemKind.CLAIM if item.route == Route.CLAIM else ItemKind.INVOICE,
            subject=f"appt:{appt.pk}", amount=item.charge, appointment_id=appt.pk,
            client_id=appt.client_id))
    secondary_of: set[int] = set()
    for claim in claim_list(practice=practice, tab="secondary").order_by("pk"):
        if bill_from is not None and claim.service_date < bill_from:
            continue
        secondary_of.add(claim.pk)
        out.append(Candidate(kind=ItemKind.SECONDARY, subject=f"claim:{claim.pk}",
                             amount=claim.total_charge, appointment_id=claim.appointment_id,
                             client_id=claim.client_id, claim_id=claim.pk))
    for rc in remittance_claim_client_share_list(practice=practice).select_related(
            "remittance", "claim"):
        if rc.claim_id in secondary_of:
            continue
        day = rc.remittance.payment_date or practice_date(rc.remittance.created_at, practice)
        if bill_from is not None and day < bill_from:
            continue
        amount = client_share_pending(practice=practice, remittance_claim=rc)
        if amount <= 0:
            continue
        out.append(Candidate(kind=ItemKind.CLIENT_SHARE, subject=f"rc:{rc.pk}", amount=amount,
                             appointment_id=rc.claim.appointment_id if rc.claim else None,
                             client_id=rc.claim.client_id if rc.claim else None,
                             remittance_claim_id=rc.pk))
    return out


@dataclass(frozen=True)
class NextRun:
    """What Bill Sessions announces: when, and how many of each kind it would bill now."""

    at: dt.datetime  # aware; shown in the practice's zone
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def next_run_get(*, practice: Practice, now: dt.datetime | None = None) -> NextRun | None:
    """The next scheduled run and what it would include, or None while auto-billing is off."""
    conf = autobilling_settings_get(practice=practice)
    if not conf.enabled:
        return None
    now = now or timezone.now()
    zone = practice_zone(practice)
    ran = frozenset(BillingRun.objects.filter(
        practice=practice, trigger=RunTrigger.SCHEDULE,
        local_date__gte=schedule.local_date(now, zone) - dt.timedelta(days=1))
        .values_list("local_date", flat=True))
    at = schedule.next_run_at(now=now, zone=zone, hour=conf.cutoff_hour, ran_dates=ran)
    counts = Counter(c.kind for c in run_candidates(practice=practice,
                                                    bill_from=conf.bill_from))
    return NextRun(at=at, counts={k: counts.get(k, 0) for k in ItemKind.values})


def billing_run_list(*, practice: Practice) -> QuerySet[BillingRun]:
    return BillingRun.objects.filter(practice=practice).order_by("-as_of", "-pk")


def billing_run_get(*, practice: Practice, run_id: int) -> BillingRun:
    """The practice's run (DoesNotExist for another practice's: a 404, never a leak)."""
    return BillingRun.objects.get(practice=practice, pk=run_id)


def billing_run_item_list(*, run: BillingRun, outcome: str = "") -> QuerySet[BillingRunItem]:
    qs = (BillingRunItem.objects.filter(practice_id=run.practice_id, run=run)
          .select_related("client", "claim", "invoice", "appointment").order_by("kind", "pk"))
    return qs.filter(outcome=outcome) if outcome else qs


def billing_run_summary(*, run: BillingRun) -> dict[str, dict[str, object]]:
    """Per kind: items billed, failed, skipped and not reached yet, and the dollars billed
    (a string, as stored in the run's report). One query, however many items."""
    out_ = ItemOutcome
    rows = {r["kind"]: r for r in BillingRunItem.objects.filter(
        practice_id=run.practice_id, run=run).values("kind").annotate(
        billed=Count("pk", filter=Q(outcome=out_.BILLED)),
        failed=Count("pk", filter=Q(outcome=out_.FAILED)),
        skipped=Count("pk", filter=Q(outcome=out_.SKIPPED)),
        pending=Count("pk", filter=Q(outcome=out_.PENDING)),
        total=Sum("amount", filter=Q(outcome=out_.BILLED))).order_by()}
    out: dict[str, dict[str, object]] = {}
    for kind in ItemKind.values:
        row = rows.get(kind, {})
        out[kind] = {"billed": row.get("billed", 0), "failed": row.get("failed", 0),
                     "skipped": row.get("skipped", 0), "pending": row.get("pending", 0),
                     "total": f"{row.get('total') or Decimal('0'):.2f}"}
    return out


def billing_run_all_list() -> QuerySet[BillingRun]:
    """Every practice's runs (the operator's CLI listing; never reachable from a request)."""
    return BillingRun.objects.order_by("-as_of", "-pk")


def billing_run_event_list(*, run: BillingRun) -> QuerySet[BillingRunEvent]:
    return (BillingRunEvent.objects.filter(practice_id=run.practice_id, run=run)
            .select_related("actor").order_by("created_at", "pk"))


@dataclass(frozen=True)
class KindTotal:
    """One kind's items in a run: how many, how many billed, and the billed amount."""

    items: int = 0
    billed: int = 0
    amount: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class RunTotals:
    """A run's figures, counted from its items (the summary is written only at the end, and
    the history shows runs still going too)."""

    kinds: dict[str, KindTotal]
    failed: int = 0
    skipped: int = 0
    pending: int = 0

    @property
    def items(self) -> int:
        return sum(k.items for k in self.kinds.values())


def billing_run_totals(*, practice: Practice, run_ids: list[int]) -> dict[int, RunTotals]:
    """{run id: its totals} for these runs of the practice, in one query (a history page)."""
    rows = (BillingRunItem.objects.filter(practice=practice, run_id__in=run_ids)
            .values("run_id", "kind", "outcome").annotate(n=Count("pk"), amount=Sum("amount"))
            .order_by())
    kinds: dict[int, dict[str, dict]] = {i: {} for i in run_ids}
    outcomes: dict[int, Counter] = {i: Counter() for i in run_ids}
    for row in rows:
        k = kinds[row["run_id"]].setdefault(row["kind"], {"items": 0, "billed": 0,
                                                          "amount": Decimal("0.00")})
        k["items"] += row["n"]
        if row["outcome"] == ItemOutcome.BILLED:
            k["billed"] += row["n"]
            k["amount"] += row["amount"] or Decimal("0.00")
        outcomes[row["run_id"]][row["outcome"]] += row["n"]
    return {i: RunTotals(
        kinds={kind: KindTotal(**kinds[i].get(kind, {})) for kind in ItemKind.values},
        failed=outcomes[i][ItemOutcome.FAILED], skipped=outcomes[i][ItemOutcome.SKIPPED],
        pending=outcomes[i][ItemOutcome.PENDING]) for i in run_ids}
