"""Test helpers for invoices: move a Draft to Open the way sending does (Draft -> Sending by
the machine, then `settlement.invoice_open`, which posts the charge), without Stripe or email."""

from __future__ import annotations

from oasys.core.audit import AuditContext
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.invoices.settlement import invoice_open


def invoice_opened(invoice: Invoice, ctx: AuditContext | None = None) -> Invoice:
    ctx = ctx or AuditContext.system(practice_id=invoice.practice_id, source="tests")
    if invoice.status == InvoiceStatus.DRAFT:
        INVOICE_MACHINE.transition(obj=invoice, to=InvoiceStatus.SENDING, ctx=ctx,
                                   source="tests", reason="send")
    opened = invoice_open(invoice=invoice, ctx=ctx, source="tests")
    invoice.refresh_from_db()
    return opened
