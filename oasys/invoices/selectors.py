"""Reads for invoices. An invoice's money (paid, owed) is the journal's: see
oasys.ledger.selectors.invoice_figures; a client's balance is oasys.ledger.selectors
.client_balance (the only one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from oasys.clients.models import BillingType, Client
from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.text import search_text
from oasys.ledger.models import Account, EntryType, JournalEntry, JournalLine
from oasys.ledger.selectors import (
    InvoiceFigures,
    invoice_figures,
    invoice_figures_by_status,
    invoice_figures_one,
)

from .models import (
    Invoice,
    InvoiceEvent,
    InvoiceKind,
    InvoicePayment,
    InvoiceRefund,
    InvoiceSettings,
    InvoiceStatus,
    PaymentAttempt,
)


def invoice_list(
    *,
    practice: Practice,
    status: str = "",
    kind: str = "",
    client_id: int | None = None,
    issued_from: dt.date | None = None,
    issued_to: dt.date | None = None,
    query: str = "",
) -> QuerySet[Invoice]:
    """The practice's invoices, newest first (all of them by default), narrowed by status,
    kind, client, issue dates (inclusive) and a search: every word of `query` must be in the
    invoice number or the client's first or last name."""
    qs = Invoice.objects.filter(practice=practice).select_related("client")
    if status in InvoiceStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if issued_from is not None:
        qs = qs.filter(issue_date__gte=issued_from)
    if issued_to is not None:
        qs = qs.filter(issue_date__lte=issued_to)
    for word in search_text(query).split()[:5]:
        qs = qs.filter(Q(number__icontains=word) | Q(client__first_name__icontains=word)
                       | Q(client__last_name__icontains=word))
    return qs.order_by("-issue_date", "-pk")


def invoice_counts(*, practice: Practice) -> dict[str, int]:
    rows = (Invoice.objects.filter(practice=practice).values("status")
            .annotate(n=Count("pk")))
    return {r["status"]: r["n"] for r in rows}


@dataclass(frozen=True)
class StatusTotals:
    """One tab of Manage Invoices: how many invoices, what they bill, what was paid and what
    is owed on them (the journal's figures)."""

    status: str  # "" for all of them
    label: str
    count: int
    total: Decimal
    paid: Decimal
    balance: Decimal


def invoice_status_totals(*, practice: Practice, invoices: QuerySet[Invoice]
                          ) -> list[StatusTotals]:
    """"All" then each of the seven statuses in SPEC order, for `invoices` (the list as
    filtered, ignoring its status)."""
    counts = {r["status"]: r["n"] for r in invoices.order_by().values("status")
              .annotate(n=Count("pk"))}
    figures = invoice_figures_by_status(practice=practice, invoices=invoices)
    empty = InvoiceFigures(total=ZERO, paid=ZERO, moved_to_insurance=ZERO, balance=ZERO)
    out = []
    for value, label in InvoiceStatus.choices:
        f = figures.get(value, empty)
        out.append(StatusTotals(value, label, counts.get(value, 0), f.total, f.paid, f.balance))
    out.insert(0, StatusTotals("", "All", sum(t.count for t in out),
                               sum((t.total for t in out), ZERO),
                               sum((t.paid for t in out), ZERO),
                               sum((t.balance for t in out), ZERO)))
    return out


def invoice_rows_with_figures(*, practice: Practice, invoices: QuerySet[Invoice],
                              chunk: int = 500) -> Iterator[tuple[Invoice, InvoiceFigures]]:
    """Every invoice of `invoices` with its journal figures, a chunk at a time (the CSV
    export): a fixed number of queries per chunk, whatever the list's length."""
    batch: list[Invoice] = []
    for invoice in invoices.iterator(chunk_size=chunk):
        batch.append(invoice)
        if len(batch) == chunk:
            yield from _with_figures(practice, batch)
            batch = []
    if batch:
        yield from _with_figures(practice, batch)


def _with_figures(practice: Practice, batch: list[Invoice]
                  ) -> Iterator[tuple[Invoice, InvoiceFigures]]:
    figures = invoice_figures(practice=practice, invoice_ids=[i.pk for i in batch])
    for invoice in batch:
        yield invoice, figures[invoice.pk]


def invoice_client_list(*, practice: Practice) -> QuerySet[Client]:
    """The clients who have invoices (the list's client filter)."""
    return (Client.objects.filter(practice=practice, pk__in=Invoice.objects.filter(
        practice=practice).values("client_id")).order_by("last_name", "first_name", "pk"))


def standalone_client_list(*, practice: Practice) -> QuerySet[Client]:
    """The clients a standalone invoice may bill: every client who is billed at all."""
    return (Client.objects.filter(practice=practice)
            .exclude(billing_type=BillingType.NOT_BILLED)
            .order_by("last_name", "first_name", "pk"))


def invoice_settings_get(*, practice: Practice) -> InvoiceSettings:
    """The practice's invoice settings; the defaults (an unsaved row) when it never saved
    any."""
    found = InvoiceSettings.objects.filter(practice=practice).first()
    return found if found is not None else InvoiceSettings(practice=practice)


# --- one invoice's page -------------------------------------------------------------------------
@dataclass(frozen=True)
class InvoiceMoney:
    """An invoice's money as its page shows it, all from the journal: what it bills, what
    the client paid (before refunds), what was refunded, and what is owed now."""

    total: Decimal
    received: Decimal  # client payments, before refunds
    refunded: Decimal
    paid: Decimal  # received less refunded (the journal's "paid")
    moved_to_insurance: Decimal
    balance: Decimal  # negative: a credit


def invoice_money(*, practice: Practice, invoice: Invoice) -> InvoiceMoney:
    figures = invoice_figures_one(practice=practice, invoice=invoice)
    rows = (JournalLine.objects.filter(practice=practice, invoice_id=invoice.pk,
                                       account=Account.CASH,
                                       entry__entry_type=EntryType.REFUND)
            .aggregate(d=Sum("debit"), c=Sum("credit")))
    refunded = money((rows["c"] or ZERO) - (rows["d"] or ZERO))
    return InvoiceMoney(total=figures.total, received=money(figures.paid + refunded),
                        refunded=refunded, paid=figures.paid,
                        moved_to_insurance=figures.moved_to_insurance,
                        balance=figures.balance)


def invoice_get(*, practice: Practice, invoice_id: int) -> Invoice | None:
    """One of the practice's invoices (None for another practice's, or none at all)."""
    return (Invoice.objects.filter(practice=practice, pk=invoice_id)
            .select_related("client", "practice").first())


def invoice_event_list(*, invoice: Invoice) -> QuerySet[InvoiceEvent]:
    """The invoice's status changes, oldest first, with who made them."""
    return (InvoiceEvent.objects.filter(practice_id=invoice.practice_id, invoice=invoice)
            .select_related("actor").order_by("created_at", "pk"))


def invoice_attempt_list(*, invoice: Invoice) -> QuerySet[PaymentAttempt]:
    """The card charges tried on the invoice, newest first."""
    return (PaymentAttempt.objects.filter(practice_id=invoice.practice_id, invoice=invoice)
            .select_related("created_by").order_by("-number"))


def invoice_payment_list(*, invoice: Invoice) -> QuerySet[InvoicePayment]:
    """The payments taken on the invoice, oldest first."""
    return (InvoicePayment.objects.filter(practice_id=invoice.practice_id, invoice=invoice)
            .select_related("created_by").order_by("created_at", "pk"))


def invoice_payment_get(*, invoice: Invoice, payment_id: int) -> InvoicePayment | None:
    return (InvoicePayment.objects.filter(practice_id=invoice.practice_id, invoice=invoice,
                                          pk=payment_id).first())


def invoice_refund_list(*, invoice: Invoice) -> QuerySet[InvoiceRefund]:
    """The refunds on the invoice, oldest first, each with the payment it gives back."""
    return (InvoiceRefund.objects.filter(practice_id=invoice.practice_id, invoice=invoice)
            .select_related("payment", "created_by").order_by("created_at", "pk"))


def invoice_journal_entry_list(*, invoice: Invoice) -> QuerySet[JournalEntry]:
    """The journal entries posted on the invoice (charge, payments, fees, refunds, voids,
    write-offs, reversals), oldest first, with their lines."""
    return (JournalEntry.objects.filter(practice_id=invoice.practice_id, invoice_id=invoice.pk)
            .prefetch_related("lines").order_by("posted_at", "pk"))


def client_invoice_list(*, practice: Practice, client_id: int) -> QuerySet[Invoice]:
    """A client's invoices, newest first (the client page's invoices panel)."""
    return invoice_list(practice=practice, client_id=client_id)


def client_payment_list(*, practice: Practice, client_id: int) -> QuerySet[InvoicePayment]:
    """Every payment the client made on an invoice, newest first."""
    return (InvoicePayment.objects.filter(practice=practice, invoice__client_id=client_id)
            .select_related("invoice").order_by("-received_on", "-pk"))


__all__ = ["InvoiceMoney", "client_invoice_list", "client_payment_list",
           "invoice_attempt_list", "invoice_event_list", "invoice_get",
           "invoice_journal_entry_list", "invoice_money", "invoice_payment_get",
           "invoice_payment_list", "invoice_refund_list",
           "InvoiceKind", "StatusTotals", "invoice_client_list", "invoice_counts",
           "invoice_list", "invoice_rows_with_figures", "invoice_settings_get",
           "invoice_status_totals", "standalone_client_list"]
