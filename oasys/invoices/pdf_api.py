"""/api/v1/invoices/{id}/pdf: the invoice as a PDF (the document the invoice email attaches).
Its own router beside the invoice routes (oasys/invoices/api.py), both mounted at
/invoices; scoped to the caller's practice, so another practice's id answers 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router

from oasys.core.audit import AuditContext
from oasys.core.permissions import api_permission

from .pdf_views import invoice_pdf_response
from .selectors import invoice_list

router = Router(tags=["invoices"])

PDF_RESPONSE = {"responses": {200: {
    "description": "The invoice as a PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


@router.get("/{invoice_id}/pdf", openapi_extra=PDF_RESPONSE, summary="The invoice as a PDF")
@api_permission("billing.work")
def invoice_pdf_get(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = get_object_or_404(invoice_list(practice=request.practice)
                                .select_related("practice"), pk=invoice_id)
    return invoice_pdf_response(invoice=invoice, ctx=AuditContext.from_request(request))
