"""The statement as a PDF download: a client's page → Statement → Download PDF, and
GET /api/v1/clients/{id}/statement.pdf. Both answer it the same way, recorded as an export of
the client's data."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse

from oasys.clients.models import Client
from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction, Practice

from .pdf import statement_filename, statement_pdf
from .selectors import statement_build


def statement_pdf_response(*, practice: Practice, client: Client, period_start: dt.date,
                           period_end: dt.date, ctx: AuditContext) -> HttpResponse:
    statement = statement_build(practice=practice, client=client, period_start=period_start,
                                period_end=period_end)
    audit_record(ctx=ctx, action=AuditAction.EXPORT, category="statement",
                 client_id=client.pk, object_type="Client", object_id=client.pk,
                 detail={"format": "pdf", "from": period_start.isoformat(),
                         "to": period_end.isoformat()})
    response = HttpResponse(statement_pdf(statement=statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{statement_filename(statement)}"'
    return response
