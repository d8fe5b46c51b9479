"""/api/v1/appointments: scheduling and the session actions, through the same services as
the screens. 422 {"errors": ...} for refused input, 409 {"errors": {"status": ...}} when the
session's state forbids the action, 403 when the caller may not sign or approve, 404 for
another practice's ids. Times are ISO 8601; times without an offset are practice-local."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from oasys.clients.phi import phi_read
from oasys.core.api import ErrorsOut, PageOut, errors_body, paginate
from oasys.core.audit import AuditContext
from oasys.core.permissions import api_permission
from oasys.core.statemachine import IllegalTransition

from . import services
from .models import Appointment
from .selectors import appointment_list

router = Router(tags=["appointments"])


class AppointmentOut(Schema):
    id: int
    client_id: int
    clinician_id: int
    service_type_id: int
    start: dt.datetime
    end: dt.datetime
    status: str
    place_of_service: str
    modifiers: list[str]
    note_signed_at: dt.datetime | None
    note_signed_by_id: int | None
    needs_supervisor_approval: bool
    supervisor_approved_at: dt.datetime | None
    supervisor_approved_by_id: int | None


class AppointmentDetailOut(AppointmentOut):
    # The status actions possible now (the session machine's names: complete, no_show,
    # cancel, late_cancel, reopen); each is a POST route below.
    actions: list[str]


class AppointmentListOut(PageOut):
    items: list[AppointmentOut]


class AppointmentIn(Schema):
    client_id: int | None = None
    clinician_id: int | None = None
    service_type_id: int | None = None
    start: str | None = None
    end: str | None = None
    place_of_service: str | None = None
    modifiers: str | list[str] | None = None


RENAMES = {"client_id": "client", "clinician_id": "clinician", "service_type_id": "service_type"}


def appointment_out(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "client_id": a.client_id,
        "clinician_id": a.clinician_id,
        "service_type_id": a.service_type_id,
        "start": a.start,
        "end": a.end,
        "status": a.status,
        "place_of_service": a.place_of_service,
        "modifiers": a.modifier_list,
        "note_signed_at": a.note_signed_at,
        "note_signed_by_id": a.note_signed_by_id,
        "needs_supervisor_approval": a.clinician.supervisor_id is not None,
        "supervisor_approved_at": a.supervisor_approved_at,
        "supervisor_approved_by_id": a.supervisor_approved_by_id,
    }


def appointment_detail_out(a: Appointment) -> dict[str, Any]:
    return {**appointment_out(a),
            "actions": services.appointment_allowed_actions(appointment=a)}


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    return get_object_or_404(appointment_list(practice=request.practice), pk=appointment_id)


def _errors(exc: ValidationError) -> dict[str, dict[str, str]]:
    body = errors_body(exc)
    back = {v: k for k, v in RENAMES.items()}
    body["errors"] = {back.get(k, k): m for k, m in body["errors"].items()}
    return body


@router.get("", response=AppointmentListOut)
@api_permission("sessions.view")
def list_appointments(
    request: HttpRequest,
    clinician_id: int | None = None,
    client_id: int | None = None,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    page: int = 1,
    page_size: int = 25,
) -> dict[str, Any]:
    qs = appointment_list(
        practice=request.practice,
        clinician_id=clinician_id,
        client_id=client_id,
        status=status,
        date_from=date_from,
        date_to=date_to,
    )
    items, meta = paginate(qs, page=page, page_size=page_size)
    phi_read(
        request,
        categories=["session"],
        client_id=client_id,
        object_type="Appointment",
        count=len(items),
        client_ids=[a.client_id for a in items],
    )
    return {**meta, "items": [appointment_out(a) for a in items]}


@router.post("", response={201: AppointmentDetailOut, 422: ErrorsOut})
@api_permission("sessions.edit")
def create_appointment(request: HttpRequest, payload: AppointmentIn) -> tuple[int, Any]:
    data = payload.dict(exclude_unset=True)
    for old, new in RENAMES.items():
        if old in data:
            data[new] = data.pop(old)
    if isinstance(data.get("modifiers"), list):
        data["modifiers"] = ",".join(data["modifiers"])
    try:
        appointment = services.appointment_create(
            practice=request.practice, ctx=AuditContext.from_request(request), data=data
        )
    except ValidationError as exc:
        return 422, _errors(exc)
    return 201, appointment_detail_out(_appointment(request, appointment.pk))


class ApproveManyIn(Schema):
    appointment_ids: list[int]


class ApprovalRefusedOut(Schema):
    appointment_id: int
    reason: str


class ApproveManyOut(Schema):
    approved: list[int]
    refused: list[ApprovalRefusedOut]


@router.post("/approvals", response={200: ApproveManyOut, 422: ErrorsOut})
@api_permission("sessions.clinical")
def approve_many(request: HttpRequest, payload: ApproveManyIn) -> tuple[int, Any]:
    """(Declared before /{appointment_id}, which would otherwise take "approvals" as an id.)
    Approve several sessions at once: each is checked (the caller supervises its
    clinician, or owns the practice; the note is signed) and audited on its own; one that
    cannot be approved is listed under `refused` with the reason."""
    if not payload.appointment_ids:
        return 422, {"errors": {"appointment_ids": "Give at least one session id."}}
    result = services.appointment_approve_many(
        practice=request.practice, appointment_ids=payload.appointment_ids,
        actor=request.user, ctx=AuditContext.from_request(request))
    return 200, {"approved": [a.pk for a in result.approved],
                 "refused": [{"appointment_id": i, "reason": why} for i, why in result.refused]}


@router.get("/{appointment_id}", response=AppointmentDetailOut)
@api_permission("sessions.view")
def get_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    appointment = _appointment(request, appointment_id)
    phi_read(
        request,
        categories=["session"],
        client_id=appointment.client_id,
        object_type="Appointment",
        object_id=appointment.pk,
    )
    return appointment_detail_out(appointment)


def _act(
    request: HttpRequest,
    appointment_id: int,
    run: Callable[[Appointment, AuditContext], object],
) -> tuple[int, Any]:
    appointment = _appointment(request, appointment_id)
    try:
        run(appointment, AuditContext.from_request(request))
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Not allowed") from exc
    except services.TransitionRefused as exc:
        return 409, _errors(exc)
    except IllegalTransition as exc:  # the machine's own refusal, should a guard not catch it
        return 409, {"errors": exc.errors}
    except ValidationError as exc:
        return 422, _errors(exc)
    return 200, appointment_detail_out(_appointment(request, appointment_id))


def _late_flag(request: HttpRequest) -> bool:
    # The body is optional here, so it is read by hand rather than by a required schema.
    if request.GET.get("late", "").lower() in {"1", "true", "yes"}:
        return True
    if request.content_type != "application/json":
        return request.POST.get("late", "").lower() in {"1", "true", "yes", "on"}
    if not request.body:
        return False
    try:
        body = json.loads(request.body)
    except ValueError as exc:
        raise HttpError(400, 'The body must be JSON, like {"late": true}') from exc
    return isinstance(body, dict) and body.get("late") is True


ACTION_RESPONSES = {200: AppointmentDetailOut, 409: ErrorsOut, 422: ErrorsOut}


@router.post("/{appointment_id}/complete", response=ACTION_RESPONSES)
@api_permission("sessions.edit")
def complete_appointment(request: HttpRequest, appointment_id: int) -> tuple[int, Any]:
    return _act(
        request,
        appointment_id,
        lambda a, ctx: services.appointment_complete(appointment=a, ctx=ctx),
    )


@router.post("/{appointment_id}/no-show", response=ACTION_RESPONSES)
@api_permission("sessions.edit")
def no_show_appointment(request: HttpRequest, appointment_id: int) -> tuple[int, Any]:
    return _act(
        request, appointment_id, lambda a, ctx: services.appointment_no_show(appointment=a, ctx=ctx)
    )


@router.post("/{appointment_id}/cancel", response=ACTION_RESPONSES)
@api_permission("sessions.edit")
def cancel_appointment(request: HttpRequest, appointment_id: int) -> tuple[int, Any]:
    """Cancel; send {"late": true} (or ?late=true) for a late cancellation. No body is fine."""
    _appointment(request, appointment_id)  # 404 before looking at the body
    late = _late_flag(request)
    return _act(
        request,
        appointment_id,
        lambda a, ctx: services.appointment_cancel(appointment=a, ctx=ctx, late=late),
    )


@router.post("/{appointment_id}/reopen", response=ACTION_RESPONSES)
@api_permission("sessions.edit")
def reopen_appointment(request: HttpRequest, appointment_id: int) -> tuple[int, Any]:
    return _act(
        request, appointment_id, lambda a, ctx: services.appointment_reopen(appointment=a, ctx=ctx)
    )


@router.post("/{appointment_id}/sign-note", response=ACTION_RESPONSES)
@api_permission("sessions.clinical")
def sign_note(request: HttpRequest, appointment_id: int) -> tuple[int, Any]:
    return _act(
        request,
        appointment_id,
        lambda a, ctx: services.appointment_note_sign(appointment=a, actor=request.user, ctx=ctx),
    )


@router.post("/{appointment_id}/approve", response=ACTION_RESPONSES)
@api_permission("sessions.clinical")
def approve_appointment(request: HttpRequest, appointment_id: int) -> tuple[int, Any]:
    return _act(
        request,
        appointment_id,
        lambda a, ctx: services.appointment_approve(appointment=a, actor=request.user, ctx=ctx),
    )

