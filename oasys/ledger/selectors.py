"""Reads of the journal. Every balance is a sum over journal lines (debit − credit), scoped
by the practice; nothing is read from a stored total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum

from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.timezones import practice_today

from .domain import BUCKETS, aging_bucket, aging_totals
from .models import Account, JournalEntry, JournalLine


def _net(rows) -> dict[str, Decimal]:
    out = {a: ZERO for a in Account.values}
    for row in rows:
        out[row["account"]] = money((row["d"] or ZERO) - (row["c"] or ZERO))
    return out


def _balances(qs: QuerySet[JournalLine]) -> dict[str, Decimal]:
    return _net(qs.values("account").annotate(d=Sum("debit"), c=Sum("credit")).order_by())


def account_balances(*, practice: Practice) -> dict[str, Decimal]:
    """Every account's balance for the practice (debit − credit)."""
    return _balances(JournalLine.objects.filter(practice=practice))


def claim_balances(*, practice: Practice, claim_id: int) -> dict[str, Decimal]:
    return _balances(JournalLine.objects.filter(practice=practice, claim_id=claim_id))


def client_balance(*, practice: Practice, client_id: int) -> Decimal:
    """What the client owes the practice according to the journal (negative: a credit)."""
    return _balances(JournalLine.objects.filter(practice=practice, client_id=client_id))[
        Account.AR_CLIENT]


def client_balances(*, practice: Practice, client_id: int) -> dict[str, Decimal]:
    return _balances(JournalLine.objects.filter(practice=practice, client_id=client_id))


def journal_entry_list(*, practice: Practice, client_id: int | None = None,
                    claim_id: int | None = None) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.filter(practice=practice).prefetch_related("lines")
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if claim_id is not None:
        qs = qs.filter(claim_id=claim_id)
    return qs.order_by("posted_at", "pk")


def journal_entry_unbalanced_ids(*, practice: Practice) -> list[int]:
    """Ids of entries whose lines do not balance (always empty; a check for tests and ops)."""
    rows = (JournalLine.objects.filter(practice=practice).values("entry_id")
            .annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    return [r["entry_id"] for r in rows if r["d"] != r["c"]]


# --- aging ------------------------------------------------------------------------------------
@dataclass
class AgingRow:
    kind: str  # "insurance" or "client"
    date: dt.date
    amount: Decimal
    bucket: str
    client_id: int | None
    client_name: str
    claim_id: int | None = None
    invoice_id: int | None = None
    label: str = ""


@dataclass
class AgingReport:
    today: dt.date
    insurance: dict[str, Decimal]
    client: dict[str, Decimal]
    rows: list[AgingRow] = field(default_factory=list)

    @property
    def buckets(self) -> tuple[str, ...]:
        return BUCKETS

    @property
    def insurance_total(self) -> Decimal:
        return sum(self.insurance.values(), ZERO)

    @property
    def client_total(self) -> Decimal:
        return sum(self.client.values(), ZERO)


def ar_aging(*, practice: Practice, today: dt.date | None = None) -> AgingReport:
    """Open receivables in 0–30 / 31–60 / 61–90 / 90+ day buckets. Insurance: each claim's
    open balance by date of service. Client: what a client owes on a claim (their share
    after the 835, by date of service) or on an invoice not tied to a claim (by invoice
    date)."""
    from oasys.claims.models import Claim
    from oasys.invoices.models import Invoice

    today = today or practice_today(practice)
    base = JournalLine.objects.filter(practice=practice)
    ins = (base.filter(account=Account.AR_INSURANCE, claim__isnull=False)
           .values("claim_id").annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    cli = (base.filter(account=Account.AR_CLIENT)
           .values("claim_id", "invoice_id", "client_id")
           .annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    # a client line tied to a claim ages with the claim, whatever invoice it also names
    by_claim: dict[int, Decimal] = {}
    by_invoice: dict[int, Decimal] = {}
    for r in cli:
        amount = (r["d"] or ZERO) - (r["c"] or ZERO)
        if r["claim_id"] is not None:
            by_claim[r["claim_id"]] = by_claim.get(r["claim_id"], ZERO) + amount
        elif r["invoice_id"] is not None:
            by_invoice[r["invoice_id"]] = by_invoice.get(r["invoice_id"], ZERO) + amount
    ins_open = {r["claim_id"]: (r["d"] or ZERO) - (r["c"] or ZERO) for r in ins}
    claim_ids = {k for k, v in ins_open.items() if v} | {k for k, v in by_claim.items() if v}
    claims = {c.pk: c for c in Claim.objects.filter(practice=practice, pk__in=claim_ids)
              .select_related("client")}
    invoices = {i.pk: i for i in Invoice.objects.filter(
        practice=practice, pk__in=[k for k, v in by_invoice.items() if v]).select_related(
        "client")}
    rows: list[AgingRow] = []
    for claim_id, amount in ins_open.items():
        if amount and claim_id in claims:
            c = claims[claim_id]
            rows.append(AgingRow("insurance", c.service_date, money(amount),
                                 aging_bucket((today - c.service_date).days), c.client_id,
                                 c.client.full_name, claim_id=c.pk,
                                 label=f"Claim {c.patient_control_number}"))
    for claim_id, amount in by_claim.items():
        if amount and claim_id in claims:
            c = claims[claim_id]
            rows.append(AgingRow("client", c.service_date, money(amount),
                                 aging_bucket((today - c.service_date).days), c.client_id,
                                 c.client.full_name, claim_id=c.pk,
                                 label=f"Share of claim {c.patient_control_number}"))
    for invoice_id, amount in by_invoice.items():
        if amount and invoice_id in invoices:
            i = invoices[invoice_id]
            rows.append(AgingRow("client", i.issue_date, money(amount),
                                 aging_bucket((today - i.issue_date).days), i.client_id,
                                 i.client.full_name, invoice_id=i.pk,
                                 label=f"Invoice {i.number}"))
    rows.sort(key=lambda r: (r.kind, r.date, r.label))
    return AgingReport(
        today=today,
        insurance=aging_totals(((r.date, r.amount) for r in rows if r.kind == "insurance"),
                               today),
        client=aging_totals(((r.date, r.amount) for r in rows if r.kind == "client"), today),
        rows=rows,
    )


def practice_open_receivables(*, practice: Practice) -> dict[str, Decimal]:
    b = account_balances(practice=practice)
    return {"insurance": b[Account.AR_INSURANCE], "client": b[Account.AR_CLIENT]}


__all__ = ["AgingReport", "AgingRow", "account_balances", "ar_aging", "claim_balances",
           "client_balance", "client_balances", "journal_entry_list", "practice_open_receivables",
           "journal_entry_unbalanced_ids"]
