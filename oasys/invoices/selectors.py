"""Reads for invoices. An invoice's money (paid, owed) is the journal's: see
oasys.ledger.selectors.invoice_figures; a client's balance is oasys.ledger.selectors
.client_balance (the only one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from oasys.clients.models import BillingType, Client
from oasys.core.models import Practice
from oasys.core.money import ZERO
from oasys.core.text import search_text
from oasys.ledger.selectors import InvoiceFigures, invoice_figures, invoice_figures_by_status

from .models import Invoice, InvoiceKind, InvoiceSettings, InvoiceStatus


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


__all__ = ["InvoiceKind", "StatusTotals", "invoice_client_list", "invoice_counts",
           "invoice_list", "invoice_rows_with_figures", "invoice_settings_get",
           "invoice_status_totals", "standalone_client_list"]
