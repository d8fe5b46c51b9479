"""The invoice as a PDF: Manage Invoices → an invoice → Download PDF. The same document the
invoice email attaches (oasys.invoices.pdf)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required

from .models import Invoice
from .pdf import invoice_pdf
from .selectors import invoice_list


def invoice_pdf_response(*, invoice: Invoice, ctx: AuditContext) -> HttpResponse:
    """The PDF as a download, recorded as an export of the client's data (screens and the
    API answer it the same way)."""
    audit_record(ctx=ctx, action=AuditAction.EXPORT, category="invoice",
                 client_id=invoice.client_id, object_type="Invoice", object_id=invoice.pk,
                 detail={"format": "pdf"})
    response = HttpResponse(invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
    return response


@practice_required("billing.work")
def invoice_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(invoice_list(practice=request.practice)
                                .select_related("practice"), pk=pk)
    return invoice_pdf_response(invoice=invoice, ctx=AuditContext.from_request(request))
