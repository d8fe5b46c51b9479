"""/api/v1/clients/{id}/good-faith-estimates: a client's good-faith estimates (list, issue)
and each one's PDF. Mounted under /clients beside the client routes. Scoped to the caller's
practice: another practice's client, or an estimate of another client, answers 404. Bad
input answers 422 with field errors ({"errors": {"lines.0.quantity": ...}}) and writes
nothing; a client billed to insurance is refused the same way (field "client").

Issuing without `lines` proposes them: the service type (`service_type_id`, else the one of
the client's latest session, else the practice's first with a fee) at the client's price,
times the sessions `frequency` makes over the period (weekly over 12 months: 52)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from oasys.clients.models import Client
from oasys.clients.selectors import client_list
from oasys.core.api import ErrorsOut
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction
from oasys.core.permissions import api_permission

from .models import Frequency, GoodFaithEstimate
from .pdf_views import estimate_pdf_response
from .selectors import estimate_list
from .services import estimate_issue, estimate_lines_propose, estimate_refusal

router = Router(tags=["good-faith estimates"])

PDF_RESPONSE = {"responses": {200: {
    "description": "The good-faith estimate as a PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


class LineIn(Schema):
    cpt_code: str
    description: str = ""
    quantity: int
    unit_cost: str | float  # "150.00" (exact) or a JSON number of whole cents


class EstimateIn(Schema):
    period_start: dt.date
    period_end: dt.date
    lines: list[LineIn] | None = None
    frequency: Frequency = Frequency.WEEKLY  # for proposed lines only
    service_type_id: int | None = None  # for proposed lines only
    diagnosis_codes: list[str] = []


class LineOut(Schema):
    position: int
    cpt_code: str
    description: str
    quantity: int
    unit_cost: str
    total: str


class EstimateOut(Schema):
    id: int
    number: str
    client_id: int
    issue_date: dt.date
    period_start: dt.date
    period_end: dt.date
    status: str
    diagnosis_codes: list[str]
    total: str
    lines: list[LineOut]


class EstimateListOut(Schema):
    items: list[EstimateOut]


def _out(estimate: GoodFaithEstimate) -> dict[str, Any]:
    return {
        "id": estimate.pk, "number": estimate.number, "client_id": estimate.client_id,
        "issue_date": estimate.issue_date, "period_start": estimate.period_start,
        "period_end": estimate.period_end, "status": estimate.status,
        "diagnosis_codes": [c for c in estimate.diagnosis_codes.split(", ") if c],
        "total": f"{estimate.total:.2f}",
        "lines": [{"position": ln.position, "cpt_code": ln.cpt_code,
                   "description": ln.description, "quantity": ln.quantity,
                   "unit_cost": f"{ln.unit_cost:.2f}", "total": f"{ln.total:.2f}"}
                  for ln in estimate.lines.all()],
    }


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=client_id)


@router.get("/{client_id}/good-faith-estimates", response=EstimateListOut,
            summary="A client's good-faith estimates, newest first")
@api_permission("billing.work")
def estimates_get(request: HttpRequest, client_id: int) -> dict:
    client = _client(request, client_id)
    estimates = list(estimate_list(practice=request.practice, client=client))
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="estimate", client_id=client.pk, object_type="Client",
                 object_id=client.pk, detail={"count": len(estimates)})
    return {"items": [_out(e) for e in estimates]}


@router.post("/{client_id}/good-faith-estimates",
             response={201: EstimateOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut},
             summary="Issue a good-faith estimate")
@api_permission("billing.work")
def estimate_post(request: HttpRequest, client_id: int, payload: EstimateIn):
    client = _client(request, client_id)
    refusal = estimate_refusal(client=client)
    if refusal:
        raise InvalidInput(errors={"client": refusal})
    if payload.lines is None:
        if payload.period_end < payload.period_start:
            raise InvalidInput(errors={"period_end": "The period must end on or after the "
                                                     "day it starts."})
        proposed = estimate_lines_propose(
            practice=request.practice, client=client, period_start=payload.period_start,
            period_end=payload.period_end, frequency=payload.frequency,
            service_type_id=payload.service_type_id)
        if not proposed:
            raise InvalidInput(errors={"lines": "No service type has a price and a CPT "
                                                "code for this client to propose: send "
                                                "the lines."})
        lines = [p.as_row() for p in proposed]
    else:
        lines = [line.dict() for line in payload.lines]
    estimate = estimate_issue(
        practice=request.practice, client=client, period_start=payload.period_start,
        period_end=payload.period_end, lines=lines, diagnosis_codes=payload.diagnosis_codes,
        ctx=AuditContext.from_request(request))
    return 201, _out(estimate_list(practice=request.practice).get(pk=estimate.pk))


@router.get("/{client_id}/good-faith-estimates/{gfe_id}/pdf", openapi_extra=PDF_RESPONSE,
            summary="A good-faith estimate as a PDF")
@api_permission("billing.work")
def estimate_pdf_get(request: HttpRequest, client_id: int, gfe_id: int) -> HttpResponse:
    client = _client(request, client_id)
    estimate = get_object_or_404(estimate_list(practice=request.practice, client=client),
                                 pk=gfe_id)
    return estimate_pdf_response(estimate=estimate, ctx=AuditContext.from_request(request))
