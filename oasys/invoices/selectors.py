"""Reads for invoices. An invoice's money (paid, owed) is the journal's: see
oasys.ledger.selectors.invoice_figures; a client's balance is oasys.ledger.selectors
.client_balance (the only one)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from oasys.core.models import Practice

from .models import Invoice, InvoiceSettings, InvoiceStatus


def invoice_list(*, practice: Practice, status: str = "", kind: str = "") -> QuerySet[Invoice]:
    """The practice's invoices, newest first (all of them by default)."""
    qs = Invoice.objects.filter(practice=practice).select_related("client")
    if status in InvoiceStatus.values:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-issue_date", "-pk")


def invoice_counts(*, practice: Practice) -> dict[str, int]:
    rows = (Invoice.objects.filter(practice=practice).values("status")
            .annotate(n=Count("pk")))
    return {r["status"]: r["n"] for r in rows}


def invoice_settings_get(*, practice: Practice) -> InvoiceSettings:
    """The practice's invoice settings; the defaults (an unsaved row) when it never saved
    any."""
    found = InvoiceSettings.objects.filter(practice=practice).first()
    return found if found is not None else InvoiceSettings(practice=practice)
