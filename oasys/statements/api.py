"""/api/v1/clients/{id}/statement.pdf?from=&to= (the statement as a PDF) and
/api/v1/clients/{id}/statement/send {"from", "to"} (email it to the client). Mounted at
/clients beside the clients' own routes; scoped to the caller's practice, so another
practice's client answers 404. A missing or bad date answers 422 naming the field."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from oasys.clients.selectors import client_list
from oasys.core.api import ErrorsOut
from oasys.core.audit import AuditContext
from oasys.core.permissions import api_permission

from .pdf_views import statement_pdf_response
from .selectors import statement_period_parse
from .services import statement_send

router = Router(tags=["statements"])

PDF_RESPONSE = {"responses": {200: {
    "description": "The client's statement for the period, as a PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


@router.get("/{client_id}/statement.pdf", openapi_extra=PDF_RESPONSE,
            summary="A client's statement as a PDF")
@api_permission("billing.work")
def statement_pdf_get(request: HttpRequest, client_id: int, start: str = Query("", alias="from"),
                      end: str = Query("", alias="to")) -> HttpResponse:
    client = get_object_or_404(client_list(practice=request.practice)
                               .select_related("practice"), pk=client_id)
    period_start, period_end = statement_period_parse(start=start, end=end)
    return statement_pdf_response(practice=request.practice, client=client,
                                  period_start=period_start, period_end=period_end,
                                  ctx=AuditContext.from_request(request))


class SendIn(Schema):
    start: str = Field("", alias="from")
    end: str = Field("", alias="to")


class SendOut(Schema):
    email_id: int
    to: str
    status: str


@router.post("/{client_id}/statement/send", response={202: SendOut, 422: ErrorsOut},
             summary="Email a client their statement (the PDF attached)")
@api_permission("billing.work")
def statement_send_post(request: HttpRequest, client_id: int, payload: SendIn):
    client = get_object_or_404(client_list(practice=request.practice)
                               .select_related("practice"), pk=client_id)
    period_start, period_end = statement_period_parse(start=payload.start, end=payload.end)
    email = statement_send(practice=request.practice, client=client, period_start=period_start,
                           period_end=period_end, ctx=AuditContext.from_request(request),
                           actor=request.user)
    return 202, {"email_id": email.pk, "to": email.to, "status": email.status}
