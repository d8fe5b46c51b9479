"""/api/v1/superbills: make superbills ({"client_ids", "date_from", "date_to", "kind"}, with
optional "appointment_ids" to state only some of the eligible sessions), list them, the PDF,
and the actions send, void and recreate, each answering the superbill. Scoped to the
caller's practice: another practice's superbill or client answers 404. Amounts are strings
with two decimals; "paid" is the journal's figure now."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from oasys.clients.models import Client
from oasys.core.api import ErrorsOut, PageOut, paginate
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput, NotFound
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from .machine import SUPERBILL_MACHINE
from .models import Superbill, SuperbillStatus
from .pdf_views import superbill_pdf_response
from .selectors import session_paid_amounts, superbill_list
from .services import superbill_create, superbill_recreate, superbill_send, superbill_void

router = Router(tags=["superbills"])


class SuperbillLineOut(Schema):
    session_id: int
    date: dt.date
    cpt_code: str
    modifiers: list[str]
    place_of_service: str
    units: int
    diagnosis_codes: list[str]
    fee: str
    paid: str


class SuperbillOut(Schema):
    id: int
    number: str
    client_id: int
    kind: str
    status: str
    period_start: dt.date
    period_end: dt.date
    statement_date: dt.date
    sessions: int
    total: str
    paid: str
    sent_at: dt.datetime | None
    replaced_by_id: int | None
    lines: list[SuperbillLineOut]
    actions: list[str]


class SuperbillListOut(PageOut):
    items: list[SuperbillOut]


class SuperbillCreateIn(Schema):
    client_ids: list[int]
    date_from: dt.date
    date_to: dt.date
    kind: str
    appointment_ids: list[int] | None = None


class SuperbillMadeOut(Schema):
    items: list[SuperbillOut]


def _optional_body(request: HttpRequest) -> dict:
    """A route whose body is optional: {} when none was sent."""
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except ValueError as exc:
        raise InvalidInput("The body must be a JSON object.") from exc
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.")
    return body


def _out(sb: Superbill, paid: dict[int, object]) -> dict:
    lines = list(sb.lines.all())
    line_paid = [paid.get(ln.appointment_id) or 0 for ln in lines]
    return {
        "id": sb.pk, "number": sb.number, "client_id": sb.client_id, "kind": sb.kind,
        "status": sb.status, "period_start": sb.period_start, "period_end": sb.period_end,
        "statement_date": sb.statement_date, "sessions": len(lines),
        "total": money_str(sum((ln.fee for ln in lines), 0)),
        "paid": money_str(sum(line_paid, 0)), "sent_at": sb.sent_at,
        "replaced_by_id": sb.replaced_by_id,
        "lines": [{"session_id": ln.appointment_id, "date": ln.service_date,
                   "cpt_code": ln.cpt_code, "modifiers": ln.modifier_list,
                   "place_of_service": ln.place_of_service, "units": ln.units,
                   "diagnosis_codes": ln.diagnosis_list, "fee": money_str(ln.fee),
                   "paid": money_str(p)} for ln, p in zip(lines, line_paid, strict=True)],
        "actions": sorted(SUPERBILL_MACHINE.allowed_action_names(sb)),
    }


def _outs(request: HttpRequest, rows: list[Superbill]) -> list[dict]:
    ids = [ln.appointment_id for sb in rows for ln in sb.lines.all()]
    paid = session_paid_amounts(practice=request.practice, appointment_ids=ids)
    return [_out(sb, paid) for sb in rows]


def _target(request: HttpRequest, superbill_id: int) -> Superbill:
    sb = superbill_list(practice=request.practice).filter(pk=superbill_id).first()
    if sb is None:
        raise NotFound("No such superbill.")
    return sb


def _answer(request: HttpRequest, superbill_id: int) -> dict:
    return _outs(request, [_target(request, superbill_id)])[0]


@router.get("", response={200: SuperbillListOut, 422: ErrorsOut})
@api_permission("billing.work")
def superbills(request: HttpRequest, status: str = "", client: int | None = None,
               page: int = 1, page_size: int = 50):
    qs = superbill_list(practice=request.practice)
    if status:
        if status not in SuperbillStatus.values:
            return 422, {"errors": {"status": "status must be one of "
                                              + ", ".join(SuperbillStatus.values)}}
        qs = qs.filter(status=status)
    if client is not None:
        qs = qs.filter(client_id=client)
    rows, meta = paginate(qs, page=page, page_size=page_size)
    client_ids = sorted({sb.client_id for sb in rows})
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="superbill",
                 client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"api": "list", "count": len(rows), "client_ids": client_ids})
    return 200, {**meta, "items": _outs(request, rows)}


@router.post("", response={201: SuperbillMadeOut, 404: ErrorsOut, 409: ErrorsOut,
                           422: ErrorsOut})
@api_permission("billing.work")
def superbill_create_route(request: HttpRequest, payload: SuperbillCreateIn):
    """Superbills of the clients' eligible sessions in the period: "individual" makes one
    per session, "consolidated" one per client. 404 for a client of another practice; 409
    when a chosen session is already on a non-void superbill; 422 for bad input."""
    wanted = set(payload.client_ids)
    if Client.objects.filter(practice=request.practice, pk__in=wanted).count() != len(wanted):
        raise NotFound("No such client.")
    made = superbill_create(
        practice=request.practice, client_ids=payload.client_ids, date_from=payload.date_from,
        date_to=payload.date_to, kind=payload.kind, appointment_ids=payload.appointment_ids,
        ctx=AuditContext.from_request(request), actor=request.user)
    rows = list(superbill_list(practice=request.practice).filter(
        pk__in=[sb.pk for sb in made]).order_by("pk"))
    return 201, {"items": _outs(request, rows)}


PDF_RESPONSE = {"responses": {200: {
    "description": "The superbill as a PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


@router.get("/{superbill_id}/pdf", openapi_extra=PDF_RESPONSE, summary="The superbill as a PDF")
@api_permission("billing.work")
def superbill_pdf_get(request: HttpRequest, superbill_id: int) -> HttpResponse:
    sb = get_object_or_404(superbill_list(practice=request.practice), pk=superbill_id)
    return superbill_pdf_response(superbill=sb, ctx=AuditContext.from_request(request))


ACTION_RESPONSES = {200: SuperbillOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut}


@router.post("/{superbill_id}/send", response=ACTION_RESPONSES)
@api_permission("billing.work")
def superbill_send_route(request: HttpRequest, superbill_id: int):
    """Email the PDF to the client (optional body {"to"}); Created -> Sent, Sent stays
    Sent."""
    sb = _target(request, superbill_id)
    to = _optional_body(request).get("to") or ""
    if not isinstance(to, str):
        raise InvalidInput(errors={"to": "An email address, as a string."})
    superbill_send(superbill=sb, ctx=AuditContext.from_request(request), actor=request.user,
                   to=to)
    return 200, _answer(request, superbill_id)


@router.post("/{superbill_id}/void", response=ACTION_RESPONSES)
@api_permission("billing.work")
def superbill_void_route(request: HttpRequest, superbill_id: int):
    sb = _target(request, superbill_id)
    superbill_void(superbill=sb, ctx=AuditContext.from_request(request), actor=request.user)
    return 200, _answer(request, superbill_id)


@router.post("/{superbill_id}/recreate", response={201: SuperbillOut, 404: ErrorsOut,
                                                   409: ErrorsOut, 422: ErrorsOut})
@api_permission("billing.work")
def superbill_recreate_route(request: HttpRequest, superbill_id: int):
    """Void (unless void) and make a new superbill of the same sessions; answers the new."""
    sb = _target(request, superbill_id)
    new = superbill_recreate(superbill=sb, ctx=AuditContext.from_request(request),
                             actor=request.user)
    return 201, _answer(request, new.pk)
