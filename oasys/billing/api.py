"""/api/v1/billing: the Bill Sessions queue and billing, through the same services."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from oasys.core.api import PageOut, RowId, paginate
from oasys.core.audit import AuditContext, audit_list_read
from oasys.core.money import money_str
from oasys.core.permissions import api_permission, has_permission

from .selectors import QueueFilters, queue_get
from .services import billing_submit

router = Router(tags=["billing"])


class ReasonOut(Schema):
    code: str
    message: str
    detail: str
    blocked: bool
    warning: bool


class QueueItemOut(Schema):
    session_id: int
    date: date
    client_id: int
    clinician_id: int
    route: str
    charge: str | None
    cpt: str
    payer: str
    ready: bool
    reasons: list[ReasonOut]


class QueueParams(Schema):
    state: str = "ready"
    clinician_id: int | None = None
    client_id: int | None = None
    payer_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    page_size: int = 500


class QueueListOut(PageOut):
    items: list[QueueItemOut]


@router.get("/queue", response=QueueListOut)
@api_permission("billing.queue")
def queue(request: HttpRequest, params: Query[QueueParams]):
    if params.state not in ("ready", "incomplete"):
        raise HttpError(422, "state must be 'ready' or 'incomplete'")
    q = queue_get(practice=request.practice, filters=QueueFilters(
        clinician_id=params.clinician_id, client_id=params.client_id, payer_id=params.payer_id,
        date_from=params.date_from, date_to=params.date_to,
    ))
    items = q.ready if params.state == "ready" else q.incomplete
    rows, meta = paginate(items, page=params.page, page_size=params.page_size, max_size=500)
    # One row for the page, naming the clients of the sessions on it.
    audit_list_read(request, category="billing_queue",
                    client_ids=[i.appointment.client_id for i in rows],
                    detail={"state": params.state, "total": len(items)})
    amounts = has_permission(request.user, "billing.amounts")  # null for clinical roles
    return {**meta, "items": [
        {
            "session_id": i.appointment.pk,
            "date": i.service_date,
            "client_id": i.appointment.client_id,
            "clinician_id": i.appointment.clinician_id,
            "route": i.route,
            "charge": money_str(i.charge) if amounts else None,
            "cpt": i.cpt,
            "payer": i.payer_name,
            "ready": i.ready,
            "reasons": [
                {"code": r.code, "message": r.message, "detail": r.detail,
                 "blocked": r.blocked, "warning": r.warning}
                for r in i.reasons
            ],
        }
        for i in rows
    ]}


class SubmitIn(Schema):
    session_ids: list[RowId]


class SkippedOut(Schema):
    session_id: int
    reason: str


class CreatedClaim(Schema):
    id: int
    session_id: int
    status: str
    patient_control_number: str
    charge: str


class CreatedInvoice(Schema):
    id: int
    number: str
    status: str
    total: str


class SubmitOut(Schema):
    claims: list[CreatedClaim]
    claims_failed: list[CreatedClaim]
    invoices: list[CreatedInvoice]
    skipped: list[SkippedOut]
    submission_error: str


def _claim(c) -> dict:
    return {"id": c.pk, "session_id": c.appointment_id, "status": c.status,
            "patient_control_number": c.patient_control_number,
            "charge": money_str(c.total_charge)}


@router.post("/submit", response=SubmitOut)
@api_permission("billing.work")
def submit(request: HttpRequest, payload: SubmitIn):
    if not payload.session_ids:
        raise HttpError(422, "session_ids must name at least one session")
    result = billing_submit(practice=request.practice, appointment_ids=payload.session_ids,
                            ctx=AuditContext.from_request(request), actor=request.user)
    return {
        "claims": [_claim(c) for c in result.claims],
        "claims_failed": [_claim(c) for c in result.claims_failed],
        "invoices": [{"id": i.pk, "number": i.number, "status": i.status,
                      "total": money_str(i.total)}
                     # sent ones are Sending; one whose sending was refused stays a Draft
                     for i in result.invoices + [i for i, _ in result.invoices_unsent]],
        "skipped": [{"session_id": s, "reason": r} for s, r in result.skipped],
        "submission_error": result.submission_error,
    }
