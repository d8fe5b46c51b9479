"""The superbill as a PDF: the download of a made superbill, and the preview of what Create
would make. Both are exports of the client's data and are audited as such."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required

from .models import Superbill
from .pdf import superbill_pdf
from .selectors import statement_for, superbill_list


def superbill_pdf_response(*, superbill: Superbill, ctx: AuditContext) -> HttpResponse:
    """The PDF as a download, recorded as an export (screens and the API answer alike). The
    file is named by the superbill's number only: no name or date of the client."""
    audit_record(ctx=ctx, action=AuditAction.EXPORT, category="superbill",
                 client_id=superbill.client_id, object_type="Superbill",
                 object_id=superbill.pk, detail={"format": "pdf"})
    response = HttpResponse(superbill_pdf(statements=[statement_for(superbill=superbill)]),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{superbill.number}.pdf"'
    return response


@practice_required("billing.work")
def superbill_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    superbill = get_object_or_404(superbill_list(practice=request.practice), pk=pk)
    return superbill_pdf_response(superbill=superbill, ctx=AuditContext.from_request(request))
