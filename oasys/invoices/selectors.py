"""Reads for invoices."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Sum

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
