"""Reads for invoices."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from oasys.core.models import Practice

from .models import Invoice, InvoiceStatus

OUTSTANDING = (InvoiceStatus.DRAFT, InvoiceStatus.SENDING, InvoiceStatus.OPEN,
               InvoiceStatus.OVERDUE)


def client_balance(*, practice: Practice, client_id: int) -> Decimal:
    """What the client owes on invoices not void, paid or uncollectible."""
    total = (
        Invoice.objects.filter(practice=practice, client_id=client_id, status__in=OUTSTANDING)
        .aggregate(x=Sum(F("total") - F("amount_paid")))["x"]
    )
    return total or Decimal("0.00")


def invoice_list(*, practice: Practice, status: str = "", kind: str = "") -> QuerySet[Invoice]:
    """The practice's invoices, newest first (all of them by default)."""
    qs = Invoice.objects.filter(practice=practice).select_related("client")
    if status in InvoiceStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-issue_date", "-pk")


def invoice_counts(*, practice: Practice) -> dict[str, int]:
    from django.db.models import Count

    rows = (Invoice.objects.filter(practice=practice).values("status")
            .annotate(n=Count("pk")))
    return {r["status"]: r["n"] for r in rows}
