"""Reads of the journal. Every balance is a sum over journal lines (debit − credit), scoped
by the practice; nothing is read from a stored total."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum

from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.timezones import practice_today

from .domain import BUCKETS, aging_bucket, aging_totals
from .models import Account, EntryType, JournalEntry, JournalLine


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
    """What the client owes the practice according to the journal (negative: a credit).
    The one client balance: the client page, the ledger page and the API read it."""
    return client_balances(practice=practice, client_id=client_id)[Account.AR_CLIENT]


def client_balances(*, practice: Practice, client_id: int) -> dict[str, Decimal]:
    return _balances(JournalLine.objects.filter(practice=practice, client_id=client_id))


@dataclass(frozen=True)
class ClaimFigures:
    """A claim's money as the journal has it (the claim page, list and API show these)."""

    charge: Decimal
    paid: Decimal  # by the payer of this claim
    contractual: Decimal
    written_off: Decimal
    client_share: Decimal  # moved to the client by this claim's 835s
    held_for_secondary: Decimal  # the client's share now owed by the secondary claim
    insurance_open: Decimal  # negative: the payer paid more than was owed (a credit)
    client_open: Decimal  # what the client still owes on this claim

    @property
    def insurance_credit(self) -> Decimal:
        return max(-self.insurance_open, ZERO)


def claim_figures(*, practice: Practice, claim) -> ClaimFigures:
    lines = JournalLine.objects.filter(practice=practice, claim_id=claim.pk)
    b = _balances(lines)
    from_835 = _balances(lines.filter(remittance__isnull=False))
    held = lines.filter(entry__entry_type=EntryType.SECONDARY_HOLD,
                        account=Account.AR_CLIENT).aggregate(x=Sum("credit"))["x"] or ZERO
    return ClaimFigures(
        charge=money(claim.total_charge), paid=from_835[Account.CASH],
        contractual=b[Account.CONTRACTUAL], written_off=b[Account.WRITE_OFFS],
        client_share=from_835[Account.AR_CLIENT], held_for_secondary=money(held),
        insurance_open=b[Account.AR_INSURANCE], client_open=b[Account.AR_CLIENT])


def claim_client_share_uninvoiced(*, practice: Practice, claim_id: int) -> Decimal:
    """The client's share on a claim that no invoice bills yet (what a client-responsibility
    invoice may bill). A share held for a secondary payer is not here: it was moved off."""
    return _balances(JournalLine.objects.filter(
        practice=practice, claim_id=claim_id, invoice__isnull=True))[Account.AR_CLIENT]


@dataclass(frozen=True)
class InvoiceFigures:
    total: Decimal  # what it bills
    paid: Decimal  # client payments less refunds
    moved_to_insurance: Decimal  # held for a secondary payer after it was invoiced
    balance: Decimal  # what is owed on it now (negative: a credit)

    @property
    def credit(self) -> Decimal:
        return max(-self.balance, ZERO)


# What the client paid on an invoice: payments less refunds (Stripe's fee also leaves cash
# on the invoice, but the client paid it all the same).
PAYMENT_TYPES = (EntryType.CLIENT_PAYMENT, EntryType.REFUND)


_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _invoice_net(lines: QuerySet[JournalLine], **where) -> Subquery:
    """Σ(debit − credit) of the invoice's lines matching `where`, as a correlated subquery
    of the invoice row (NULL when there are none)."""
    return Subquery(lines.filter(**where).order_by().values("invoice_id")
                    .annotate(x=Sum(F("debit") - F("credit"))).values("x")[:1],
                    output_field=_MONEY)


def invoice_figures(*, practice: Practice, invoice_ids) -> dict[int, InvoiceFigures]:
    """Each invoice's figures from the journal (its total is the cache the ledger writes).
    One query: the invoices' totals with their paid, owed and held sums as subqueries."""
    ids = list(invoice_ids)
    invoice_model = apps.get_model("invoices", "Invoice")
    lines = JournalLine.objects.filter(practice=practice, invoice_id=OuterRef("pk"))
    rows = (invoice_model.objects.filter(practice=practice, pk__in=ids).order_by()
            .annotate(paid=_invoice_net(lines, account=Account.CASH,
                                        entry__entry_type__in=PAYMENT_TYPES),
                      owed=_invoice_net(lines, account=Account.AR_CLIENT),
                      held=_invoice_net(lines, account=Account.AR_CLIENT,
                                        entry__entry_type=EntryType.SECONDARY_HOLD))
            .values_list("pk", "total", "paid", "owed", "held"))
    found = {pk: InvoiceFigures(total=money(total), paid=money(paid or ZERO),
                                moved_to_insurance=money(ZERO - (held or ZERO)),
                                balance=money(owed or ZERO))
             for pk, total, paid, owed, held in rows}
    return {i: found[i] for i in ids if i in found}  # in the order asked


def invoice_figures_one(*, practice: Practice, invoice) -> InvoiceFigures:
    return invoice_figures(practice=practice, invoice_ids=[invoice.pk])[invoice.pk]


def invoice_figures_by_status(*, practice: Practice, invoices: QuerySet) -> dict[str,
                                                                                 InvoiceFigures]:
    """The figures of `invoices` (a queryset of the practice's invoices, filtered as a list
    shows them) summed per invoice status, from the journal: what they bill (the total the
    ledger writes), what was paid on them and what is owed. Three aggregate queries whatever
    the number of invoices. Statuses without invoices are absent."""
    totals = {r["status"]: money(r["t"] or ZERO) for r in (
        invoices.filter(practice=practice).order_by().values("status").annotate(t=Sum("total")))}
    rows = (JournalLine.objects.filter(practice=practice, invoice__in=invoices.order_by()
                                       .values("pk"))
            .values("invoice__status", "account", "entry__entry_type")
            .annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    paid: dict[str, Decimal] = {}
    held: dict[str, Decimal] = {}
    owed: dict[str, Decimal] = {}
    for r in rows:
        net = (r["d"] or ZERO) - (r["c"] or ZERO)
        status = r["invoice__status"]
        if r["account"] == Account.CASH and r["entry__entry_type"] in PAYMENT_TYPES:
            paid[status] = paid.get(status, ZERO) + net
        elif r["account"] == Account.AR_CLIENT:
            owed[status] = owed.get(status, ZERO) + net
            if r["entry__entry_type"] == EntryType.SECONDARY_HOLD:
                held[status] = held.get(status, ZERO) - net
    return {status: InvoiceFigures(total=total, paid=money(paid.get(status, ZERO)),
                                   moved_to_insurance=money(held.get(status, ZERO)),
                                   balance=money(owed.get(status, ZERO)))
            for status, total in totals.items()}


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

    @property
    def is_credit(self) -> bool:
        """A negative open amount is a credit (overpaid), never an amount owed."""
        return self.amount < 0


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

    @property
    def total(self) -> dict[str, Decimal]:
        """Insurance and client together, per bucket: the report's grand-total row."""
        return {b: self.insurance[b] + self.client[b] for b in BUCKETS}

    @property
    def grand_total(self) -> Decimal:
        return self.insurance_total + self.client_total

    @property
    def insurance_credit(self) -> Decimal:
        """Overpaid by payers: shown as a credit, kept out of the owed buckets."""
        return sum((-r.amount for r in self.rows if r.kind == "insurance" and r.is_credit),
                   ZERO)

    @property
    def client_credit(self) -> Decimal:
        return sum((-r.amount for r in self.rows if r.kind == "client" and r.is_credit), ZERO)


def ar_aging(*, practice: Practice, today: dt.date | None = None) -> AgingReport:
    """Open receivables in 0–30 (current) / 31–60 / 61–90 / 91–120 / 120+ day buckets.
    Insurance: each claim's open balance by date of service. Client: what a client owes on
    a claim (their share after the 835, by date of service) or on an invoice not tied to a
    claim (by invoice date)."""
    # looked up by name: claims and invoices read the ledger, the ledger imports neither
    Claim = apps.get_model("claims", "Claim")  # noqa: N806
    Invoice = apps.get_model("invoices", "Invoice")  # noqa: N806

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
        insurance=aging_totals(((r.date, r.amount) for r in rows
                                if r.kind == "insurance" and not r.is_credit), today),
        client=aging_totals(((r.date, r.amount) for r in rows
                             if r.kind == "client" and not r.is_credit), today),
        rows=rows,
    )


def practice_open_receivables(*, practice: Practice) -> dict[str, Decimal]:
    b = account_balances(practice=practice)
    return {"insurance": b[Account.AR_INSURANCE], "client": b[Account.AR_CLIENT]}


__all__ = ["AgingReport", "AgingRow", "ClaimFigures", "InvoiceFigures", "account_balances",
           "ar_aging", "claim_balances", "claim_client_share_uninvoiced", "claim_figures",
           "client_balance", "client_balances", "invoice_figures", "invoice_figures_by_status",
           "invoice_figures_one",
           "journal_entry_list", "journal_entry_unbalanced_ids", "practice_open_receivables"]
