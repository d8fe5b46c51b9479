"""The estimate as a PDF download, recorded as an export of the client's data (the screens
and the API answer it the same way; pattern of oasys/invoices/pdf_views.py)."""

from __future__ import annotations

from django.http import HttpResponse

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction

from .models import GoodFaithEstimate
from .pdf import estimate_pdf


def estimate_pdf_response(*, estimate: GoodFaithEstimate, ctx: AuditContext) -> HttpResponse:
    audit_record(ctx=ctx, action=AuditAction.EXPORT, category="estimate",
                 client_id=estimate.client_id, object_type="GoodFaithEstimate",
                 object_id=estimate.pk, detail={"format": "pdf"})
    response = HttpResponse(estimate_pdf(estimate=estimate), content_type="application/pdf")
    # the number only: no name of the client in a file name that lands in Downloads
    response["Content-Disposition"] = f'inline; filename="{estimate.number}.pdf"'
    return response
