"""Reads for the home page: what needs attention today, money this month, and the figures
behind its chart. Counts only, never a client's name (the page writes no read audit row).

Every number links to the list that shows the same rows, so each count here is computed
the way that list filters (Bill Sessions' reasons, the claims list's statuses and age,
remittance and invoice statuses, the failing-eligibility list). The number of queries does
not grow with the practice's data: each figure is one aggregate (or the queue's fixed set).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from oasys.billing.readiness import billing_queue, unbilled_sessions
from oasys.billing.reasons import MESSAGES
from oasys.claims.models import Claim
from oasys.claims.selectors import AGING_DAYS
from oasys.claims.status import IN_FLIGHT, ClaimStatus
from oasys.core.models import Practice, Role, User
from oasys.core.money import ZERO, money
from oasys.core.timezones import practice_zone
from oasys.eligibility.selectors import eligibility_check_failing_list
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.ledger.models import Account, EntryType, JournalLine
from oasys.ledger.selectors import ar_aging
from oasys.practice.models import Clinician
from oasys.remittance.models import RemittanceStatus, ReviewStatus
from oasys.remittance.selectors import payment_review_list, remittance_counts

# Roles that see the whole practice's queue on the home page; clinicians and supervisors
# see the sessions they render or supervise (permissions.py: they fix what blocks billing).
PRACTICE_WIDE_ROLES = (Role.OWNER, Role.BILLER)
CHART_MONTHS = 6


@dataclass(frozen=True)
class AttentionLine:
    key: str  # stable, for tests and the page's test ids
    label: str
    count: int
    url: str
    hint: str = ""


def _url(name: str, **params) -> str:
    query = urlencode([(k, v) for k, vs in params.items()
                       for v in (vs if isinstance(vs, list | tuple) else [vs])])
    return reverse(name) + (f"?{query}" if query else "")


# --- sessions ---------------------------------------------------------------------------------
@dataclass
class SessionsAttention:
    ready: int
    incomplete: int
    reasons: list[AttentionLine]
    ready_url: str
    incomplete_url: str
    # None: the whole practice; else the clinicians whose sessions these are (own/supervised)
    clinician_ids: list[int] | None = None


def home_clinician_ids(*, practice: Practice, user: User) -> list[int] | None:
    """The clinicians whose sessions this user answers for: None for owners and billers (the
    whole practice), else the user's own clinician and, for a supervisor, the supervisees."""
    if user.role in PRACTICE_WIDE_ROLES:
        return None
    return sorted(Clinician.objects.filter(practice=practice).filter(
        Q(user=user) | Q(supervisor__user=user)).values_list("pk", flat=True))


def home_sessions_attention(*, practice: Practice, user: User,
                            today: dt.date | None = None) -> SessionsAttention:
    """Bill Sessions in numbers: Ready, Incomplete, and one line per reason a session is not
    Ready (a session with two reasons counts on both lines), most frequent first -- counted
    as Bill Sessions counts them (billing.selectors.queue_get)."""
    clinician_ids = home_clinician_ids(practice=practice, user=user)
    sessions = unbilled_sessions(practice=practice)
    if clinician_ids is not None:
        sessions = sessions.filter(clinician_id__in=clinician_ids)
    items = billing_queue(practice=practice, sessions=sessions, today=today)
    ready = sum(1 for i in items if i.ready)
    counts: Counter[str] = Counter()
    for item in items:
        if not item.ready:
            counts.update({r.code for r in item.problems})
    # the list a line links to narrows to one clinician when there is one to narrow to
    narrow = {"clinician": clinician_ids[0]} if clinician_ids and len(clinician_ids) == 1 else {}
    order = list(MESSAGES)
    reasons = [
        AttentionLine(key=f"reason-{code}", label=MESSAGES[code][0], count=n,
                      hint=MESSAGES[code][1],
                      url=_url("billing:queue", tab="incomplete", reason=code, **narrow))
        for code, n in sorted(counts.items(),
                              key=lambda kv: (-kv[1], order.index(kv[0]) if kv[0] in order
                                              else len(order)))
        if code in MESSAGES
    ]
    return SessionsAttention(
        ready=ready, incomplete=len(items) - ready, reasons=reasons,
        ready_url=_url("billing:queue", **narrow),
        incomplete_url=_url("billing:queue", tab="incomplete", **narrow),
        clinician_ids=clinician_ids)


# --- claims, ERAs, invoices, eligibility ------------------------------------------------------
def home_billing_attention(*, practice: Practice,
                           now: dt.datetime | None = None) -> list[AttentionLine]:
    """What the billing roles act on next, each a count of the rows its link lists. Lines
    with nothing to do are kept (a zero says "all clear"); the page greys them."""
    now = now or timezone.now()
    claims = Claim.objects.filter(practice=practice)
    by_status = dict(claims.values("status").annotate(n=Count("pk")).order_by()
                     .values_list("status", "n"))
    # "in flight over 30 days": the claims list's Submitted tab marks the same claims
    # (claims.selectors.claim_counts "aging")
    aging = claims.filter(status__in=IN_FLIGHT,
                          submitted_at__lte=now - dt.timedelta(days=AGING_DAYS)).count()
    eras = remittance_counts(practice=practice)
    reviews = payment_review_list(practice=practice, status=ReviewStatus.OPEN).count()
    overdue = Invoice.objects.filter(practice=practice, status=InvoiceStatus.OVERDUE).count()
    failing = eligibility_check_failing_list(practice=practice).count()
    failed_to_send = [ClaimStatus.VALIDATION_FAILED, ClaimStatus.SUBMISSION_FAILED]
    return [
        AttentionLine("claims-rejected", "Claims rejected", by_status.get(ClaimStatus.REJECTED, 0),
                      _url("claims:list", status=ClaimStatus.REJECTED),
                      "Fix the format error and resubmit."),
        AttentionLine("claims-denied", "Claims denied", by_status.get(ClaimStatus.DENIED, 0),
                      _url("claims:list", status=ClaimStatus.DENIED),
                      "Correct and resubmit, appeal, or write off."),
        AttentionLine("claims-failed", "Claims that failed to send",
                      sum(by_status.get(s, 0) for s in failed_to_send),
                      _url("claims:list", status=[str(s) for s in failed_to_send]),
                      "Review and retry."),
        AttentionLine("claims-aging", f"Claims waiting over {AGING_DAYS} days for the payer",
                      aging, _url("claims:list", tab="submitted", age_min=AGING_DAYS),
                      "Submitted, not paid yet: call the payer or check the claim status."),
        AttentionLine("eras-damaged", "ERAs held: a claim could not be read",
                      eras[RemittanceStatus.DAMAGED],
                      _url("remittance:list", status=RemittanceStatus.DAMAGED),
                      "Post the rest or reject the file."),
        AttentionLine("eras-quarantined", "ERAs quarantined, nothing posted",
                      eras[RemittanceStatus.QUARANTINED],
                      _url("remittance:list", status=RemittanceStatus.QUARANTINED),
                      "The file did not balance: ask the payer for a corrected 835."),
        AttentionLine("era-reviews", "ERA payments waiting for review", reviews,
                      _url("remittance:reviews"),
                      "Paid on a closed or voided claim: post anyway or dismiss."),
        AttentionLine("invoices-overdue", "Invoices overdue", overdue,
                      _url("invoices:list", status=InvoiceStatus.OVERDUE),
                      "Resend a reminder or charge the card on file."),
        AttentionLine("eligibility-failing", "Eligibility checks failing", failing,
                      _url("eligibility:failing"),
                      "Coverage inactive or not confirmed: check the client's insurance."),
    ]


# --- money ------------------------------------------------------------------------------------
# What a month billed: the charges posted (a claim's when it is submitted, a session or
# standalone invoice's when it is sent). A client-responsibility invoice bills a share of a
# claim already counted, so it is not billed again.
BILLED_TYPES = (EntryType.CHARGE,)
# What a month collected: money in from payers' ERAs and from clients, less refunds and
# reversed payments -- the cash account's lines of those entries. Processing fees and payers'
# provider-level adjustments move cash too but are neither.
COLLECTED_TYPES = (EntryType.INSURANCE_PAYMENT, EntryType.CLIENT_PAYMENT, EntryType.REFUND,
                   EntryType.REVERSAL)
RECEIVABLES = (Account.AR_INSURANCE, Account.AR_CLIENT)


@dataclass(frozen=True)
class MonthMoney:
    start: dt.date  # the first of the month, the practice's calendar
    billed: Decimal
    collected: Decimal

    @property
    def label(self) -> str:
        return self.start.strftime("%b")


@dataclass
class MoneySummary:
    month: MonthMoney  # this calendar month so far
    months: list[MonthMoney]  # the last CHART_MONTHS months, oldest first, this one last
    insurance_outstanding: Decimal  # the AR aging report's insurance total
    client_outstanding: Decimal  # and its client total
    insurance_credit: Decimal
    client_credit: Decimal
    aging_url: str = field(default="")

    @property
    def outstanding(self) -> Decimal:
        return self.insurance_outstanding + self.client_outstanding


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def home_money_summary(*, practice: Practice, now: dt.datetime | None = None,
                       months: int = CHART_MONTHS) -> MoneySummary:
    """Billed and collected per calendar month where the practice is (from the journal), and
    what is outstanding now (the AR aging report's totals, so the two pages agree)."""
    now = now or timezone.now()
    zone = practice_zone(practice)
    today = now.astimezone(zone).date()
    starts = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    first = dt.datetime.combine(starts[0], dt.time(), tzinfo=zone)
    end = dt.datetime.combine(_month_start(today, -1), dt.time(), tzinfo=zone)
    rows = (JournalLine.objects.filter(practice=practice, entry__posted_at__gte=first,
                                       entry__posted_at__lt=end)
            .filter(Q(entry__entry_type__in=BILLED_TYPES, account__in=RECEIVABLES)
                    | Q(entry__entry_type__in=COLLECTED_TYPES, account=Account.CASH))
            .annotate(month=TruncMonth("entry__posted_at", tzinfo=zone))
            .values("month", "entry__entry_type", "account")
            .annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    billed = dict.fromkeys(starts, ZERO)
    collected = dict.fromkeys(starts, ZERO)
    for r in rows:
        month = r["month"]
        key = dt.date(month.year, month.month, 1)
        if key not in billed:
            continue
        net = (r["d"] or ZERO) - (r["c"] or ZERO)
        if r["account"] == Account.CASH:
            collected[key] += net
        else:
            billed[key] += net
    series = [MonthMoney(s, money(billed[s]), money(collected[s])) for s in starts]
    report = ar_aging(practice=practice, today=today)
    return MoneySummary(
        month=series[-1], months=series,
        insurance_outstanding=money(report.insurance_total),
        client_outstanding=money(report.client_total),
        insurance_credit=money(report.insurance_credit),
        client_credit=money(report.client_credit),
        aging_url=reverse("ledger:aging"))


__all__ = ["AttentionLine", "MonthMoney", "MoneySummary", "SessionsAttention",
           "home_billing_attention", "home_clinician_ids", "home_money_summary",
           "home_sessions_attention"]
