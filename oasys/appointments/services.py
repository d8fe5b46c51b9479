"""Writes of sessions: scheduling, editing, status changes, note signing, supervisor approval.

Status rules
------------
`appointment_transition` is the only code that assigns `Appointment.status`: it moves the
session through `APPOINTMENT_MACHINE` (oasys/core/statemachine.py), which locks the row,
checks `TRANSITIONS` and the guards below, writes an `AppointmentEvent` and audits. Screens
and the API ask the machine's `allowed_actions` (complete, no_show, cancel, late_cancel,
reopen). The table:

    scheduled       -> completed, no_show, late_cancelled, cancelled
    completed       -> scheduled   (reopen a session marked complete by mistake)
    no_show         -> scheduled   (reopen)
    late_cancelled  -> scheduled   (reopen)
    cancelled       -> scheduled   (reinstate)

Everything else is refused: e.g. completed -> no_show must go through scheduled, so each
correction is an explicit, audited step. Further guards:

- A session cannot be completed or marked no-show before it starts.
- Once its note is signed a session is frozen: it is never reopened, and only its place of
  service and modifiers (claim coding, not clinical fact) may still be edited.
- Once billed (a claim or an invoice line exists) a session is frozen the same way, signed
  or not: its status, client, clinician, service and times belong to the bill; a correction
  goes through voiding or replacing the claim or invoice.
- A note can be signed only for a completed or no-show session, once, by the user linked to
  the session's clinician or by the practice owner.
- Supervisor approval applies only to clinicians who have a supervisor, only after the note
  is signed, once, by the user linked to that supervisor or by the owner, and never by the
  person who rendered the session (nobody approves their own work).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from oasys.clients.errors import refuse
from oasys.clients.models import Client
from oasys.core.audit import AuditContext, audit_record
from oasys.core.codes import modifiers_error, modifiers_parse, place_of_service_codes
from oasys.core.errors import Conflict, DomainError
from oasys.core.feedback import error_text
from oasys.core.models import AuditAction, AuditOutcome, Practice, Role, User
from oasys.core.statemachine import Action, StateMachine, machine_register
from oasys.core.timezones import practice_zone
from oasys.practice.models import Clinician, ServiceType

from .models import Appointment, AppointmentEvent, AppointmentStatus
from .models import AppointmentStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.COMPLETED, S.NO_SHOW, S.LATE_CANCELLED, S.CANCELLED}),
    S.COMPLETED: frozenset({S.SCHEDULED}),
    S.NO_SHOW: frozenset({S.SCHEDULED}),
    S.LATE_CANCELLED: frozenset({S.SCHEDULED}),
    S.CANCELLED: frozenset({S.SCHEDULED}),
}
SIGNABLE = frozenset({S.COMPLETED, S.NO_SHOW})
MAX_LENGTH = dt.timedelta(hours=12)
APPOINTMENT_FIELDS = (
    "client",
    "clinician",
    "service_type",
    "start",
    "end",
    "place_of_service",
    "modifiers",
)
EDITABLE_AFTER_SIGNING = frozenset({"place_of_service", "modifiers"})


class TransitionRefused(Conflict, ValidationError):
    """The session's current state does not allow this change (the API answers 409).

    Still a ValidationError, so callers that catch that keep working; raised with
    ValidationError's {field: [message]} argument."""

    def __init__(self, message: object) -> None:
        ValidationError.__init__(self, message)
        errors = (
            {field: msgs[0] for field, msgs in self.message_dict.items()}
            if hasattr(self, "error_dict") else {"__all__": " ".join(self.messages)}
        )
        Conflict.__init__(self, " ".join(errors.values()), errors=errors)


def _refuse_state(message: str) -> NoReturn:
    raise TransitionRefused({"status": [message]})


def _audit(
    *,
    ctx: AuditContext,
    appointment: Appointment,
    action: str,
    fields: list[str],
    outcome: str = AuditOutcome.SUCCESS,
) -> None:
    audit_record(
        ctx=ctx,
        action=action,
        category="session",
        outcome=outcome,
        client_id=appointment.client_id,
        object_type="Appointment",
        object_id=appointment.pk,
        detail={"fields": fields},
    )


# --- scheduling ---------------------------------------------------------------------------


def _pick(model: type, value: Any, *, practice_id: int) -> Any:
    """`value` (an instance or an id) as an object of the practice, or None."""
    if isinstance(value, model):
        return value if value.practice_id == practice_id else None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return model.objects.filter(pk=pk, practice_id=practice_id).first()


def _when(value: Any, practice: Practice) -> dt.datetime | None:
    """An aware datetime from a datetime or ISO string; naive times are practice-local."""
    if value in (None, ""):
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if timezone.is_naive(value):
        value = value.replace(tzinfo=practice_zone(practice))
    return value


def _appointment_clean(
    *, practice: Practice, data: Mapping[str, Any], current: Appointment | None
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    values["client"] = _pick(Client, data.get("client"), practice_id=practice.pk)
    if values["client"] is None:
        errors["client"] = "Choose one of your clients."
    values["clinician"] = _pick(Clinician, data.get("clinician"), practice_id=practice.pk)
    clinician_changed = current is None or values["clinician"] != current.clinician
    if values["clinician"] is None or (clinician_changed and not values["clinician"].is_active):
        errors["clinician"] = "Choose one of your active clinicians."
    service_type = _pick(ServiceType, data.get("service_type"), practice_id=practice.pk)
    type_changed = current is None or service_type != current.service_type
    if service_type is None or (type_changed and not service_type.is_active):
        errors["service_type"] = "Choose one of your active service types."
    values["service_type"] = service_type

    for name in ("start", "end"):
        try:
            values[name] = _when(data.get(name), practice)
        except (TypeError, ValueError):
            errors[name] = "Enter the date and time, like 2025-03-14 15:00."
            values[name] = None
    if values["start"] is None and "start" not in errors:
        errors["start"] = "Enter when the session starts."
    elif values["start"] is not None and not (
        2000 <= values["start"].year <= dt.date.today().year + 2
    ):
        # Sessions are booked at most a couple of years ahead; a far date is a typo (and
        # year 9999 would overflow the end time).
        errors["start"] = "Check the year of this session."
    if (values["end"] is None and not ({"start", "end"} & errors.keys()) and values["start"]
            and service_type):
        # The usual case: the session lasts as long as its service type says. Added in UTC:
        # in the practice's zone Python adds by the wall clock, an hour off across DST.
        values["end"] = (values["start"].astimezone(dt.UTC)
                         + dt.timedelta(minutes=service_type.duration_minutes))
    if values["start"] and values["end"] and "end" not in errors:
        if values["end"] <= values["start"]:
            errors["end"] = "The session must end after it starts."
        elif values["end"] - values["start"] > MAX_LENGTH:
            errors["end"] = "A session cannot last more than 12 hours."
    if values["end"] is None and not ({"end", "start"} & errors.keys()) and service_type:
        errors["end"] = "Enter when the session ends."

    pos = str(data.get("place_of_service") or "").strip()
    if not pos and service_type is not None:
        pos = service_type.place_of_service
    values["place_of_service"] = pos
    if (pos or service_type is not None) and pos not in place_of_service_codes():
        errors["place_of_service"] = "Choose a place of service from the list (e.g. 11 Office)."

    modifiers = data.get("modifiers")
    if modifiers is None and current is None and service_type is not None:
        modifiers = service_type.modifiers  # a new session codes like its service type
    modifiers = str(modifiers or "")
    if msg := modifiers_error(modifiers):
        errors["modifiers"] = msg
    values["modifiers"] = ",".join(modifiers_parse(modifiers))
    return values, errors


def appointment_create(
    *, practice: Practice, ctx: AuditContext, data: Mapping[str, Any]
) -> Appointment:
    """Schedule a session. `end` defaults to start + the service type's duration, place of
    service and modifiers default to the service type's."""
    values, errors = _appointment_clean(practice=practice, data=data, current=None)
    if errors:
        client = values.get("client")
        audit_record(
            ctx=ctx,
            action=AuditAction.CREATE,
            category="session",
            outcome=AuditOutcome.FAILURE,
            client_id=client.pk if client else None,
            object_type="Appointment",
            detail={"fields": sorted(errors)},
        )
        refuse(errors)
    with transaction.atomic():
        appointment = Appointment.objects.create(practice=practice, **values)
        APPOINTMENT_MACHINE.record_created(obj=appointment, actor=ctx.user_id,
                                           source="sessions", reason="scheduled")
        _audit(
            ctx=ctx,
            appointment=appointment,
            action=AuditAction.CREATE,
            fields=sorted(k for k, v in values.items() if v not in ("", None)),
        )
    return appointment


def appointment_update(
    *, appointment: Appointment, ctx: AuditContext, data: Mapping[str, Any]
) -> Appointment:
    """Edit a session's details (never its status). Fields missing from `data` keep their
    values. After the note is signed only place of service and modifiers can change."""
    merged = {name: getattr(appointment, name) for name in APPOINTMENT_FIELDS} | dict(data)
    values, errors = _appointment_clean(
        practice=appointment.practice, data=merged, current=appointment
    )
    changed = sorted(name for name, value in values.items() if getattr(appointment, name) != value)
    if appointment.note_signed_at is not None:
        for name in changed:
            if name not in EDITABLE_AFTER_SIGNING:
                errors.setdefault(name, "The note is signed: this can no longer change.")
    if errors:
        _audit(
            ctx=ctx,
            appointment=appointment,
            action=AuditAction.UPDATE,
            fields=sorted(errors),
            outcome=AuditOutcome.FAILURE,
        )
        refuse(errors)
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.note_signed_at is not None and set(changed) - EDITABLE_AFTER_SIGNING:
            _refuse_state("The note was just signed; reload the page.")
        if set(changed) - EDITABLE_AFTER_SIGNING and _is_billed(locked):
            _refuse_state("This session is billed: void or correct its claim or invoice "
                          "before changing it.")
        for name, value in values.items():
            setattr(appointment, name, value)
        appointment.save()
        _audit(ctx=ctx, appointment=appointment, action=AuditAction.UPDATE, fields=changed)
    return appointment


# --- status -------------------------------------------------------------------------------


def _is_billed(appointment: Appointment) -> bool:
    # Through the reverse relations that claims and invoices declare on a session, so this
    # app (below them) does not import them.
    return appointment.claims.exists() or appointment.invoice_lines.exists()


def _transition_guard(locked: Appointment, current: str, to_status: str) -> None:
    """The session rules beyond the table, checked under the row lock in this order."""
    if _is_billed(locked):
        _refuse_state("This session is billed: void or correct its claim or invoice "
                      "before changing its status.")
    if to_status not in TRANSITIONS.get(current, frozenset()):
        _refuse_state(
            f"A {S(current).label.lower()} session cannot become {S(to_status).label.lower()}."
        )
    if locked.note_signed_at is not None:
        _refuse_state("The note is signed, so this session can no longer change status.")
    if to_status in {S.COMPLETED, S.NO_SHOW} and locked.start > timezone.now():
        _refuse_state("This session has not started yet.")


def _unfrozen(appointment: Appointment) -> bool:
    # A signed note or a bill freezes the session's status (the guard says why when a move
    # is asked for anyway).
    return appointment.note_signed_at is None and not _is_billed(appointment)


_ENDED = frozenset({S.COMPLETED, S.NO_SHOW, S.LATE_CANCELLED, S.CANCELLED})

APPOINTMENT_ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("complete", "Mark completed", frozenset({S.SCHEDULED}), to=S.COMPLETED,
           when=_unfrozen),
    Action("no_show", "Mark no-show", frozenset({S.SCHEDULED}), to=S.NO_SHOW, when=_unfrozen),
    Action("cancel", "Cancel", frozenset({S.SCHEDULED}), to=S.CANCELLED, when=_unfrozen),
    Action("late_cancel", "Late-cancel", frozenset({S.SCHEDULED}), to=S.LATE_CANCELLED,
           when=_unfrozen),
    Action("reopen", "Reopen", _ENDED, to=S.SCHEDULED, when=_unfrozen),
)}

APPOINTMENT_MACHINE = machine_register(StateMachine(
    name="appointment", noun="session", model=Appointment, statuses=AppointmentStatus,
    transitions=TRANSITIONS, event_model=AppointmentEvent, event_fk="appointment",
    changed_at_field="updated_at", actions=APPOINTMENT_ACTIONS,
    # The session audit rows keep their shape: category "session", the fields changed.
    audit_category="session", audit_detail=lambda frm, to, source: {"fields": ["status"]},
    guard=_transition_guard,
    refusal_error=lambda message: TransitionRefused({"status": [message]}),
    writers=("oasys.appointments.services",),
    # Demo data is created in its final statuses (a seeded past, not moves anyone made).
    creators=("oasys.demo.seed",),
))


def appointment_allowed_actions(*, appointment: Appointment) -> list[str]:
    """The status actions a screen or the API may offer for the session now."""
    return [a.name for a in APPOINTMENT_MACHINE.allowed_actions(appointment)]


def appointment_transition(
    *, appointment: Appointment, ctx: AuditContext, to_status: str, reason: str = "",
    source: str = "",
) -> Appointment:
    """Move a session to `to_status` if `TRANSITIONS` and the guards above allow it."""
    return APPOINTMENT_MACHINE.transition(
        obj=appointment, to=to_status, ctx=ctx, actor=ctx.user_id, reason=reason,
        source=source or "sessions")


def appointment_complete(*, appointment: Appointment, ctx: AuditContext) -> Appointment:
    return appointment_transition(appointment=appointment, ctx=ctx, to_status=S.COMPLETED)


def appointment_no_show(*, appointment: Appointment, ctx: AuditContext) -> Appointment:
    return appointment_transition(appointment=appointment, ctx=ctx, to_status=S.NO_SHOW)


def appointment_cancel(
    *, appointment: Appointment, ctx: AuditContext, late: bool = False
) -> Appointment:
    """Cancel; a late cancellation (inside the practice's notice window) can carry a fee."""
    to_status = S.LATE_CANCELLED if late else S.CANCELLED
    return appointment_transition(appointment=appointment, ctx=ctx, to_status=to_status)


def appointment_reopen(*, appointment: Appointment, ctx: AuditContext) -> Appointment:
    """Back to scheduled, to correct a status set by mistake (not once the note is signed)."""
    return appointment_transition(appointment=appointment, ctx=ctx, to_status=S.SCHEDULED)


# --- note signing and supervisor approval --------------------------------------------------


def _is_owner(user: User) -> bool:
    return user.role == Role.OWNER


def appointment_can_sign(*, appointment: Appointment, user: User) -> bool:
    """Whether `user` may sign this session's note (the clinician's own user, or the owner)."""
    return _is_owner(user) or (
        appointment.clinician.user_id is not None and appointment.clinician.user_id == user.pk
    )


def appointment_can_approve(*, appointment: Appointment, user: User) -> bool:
    """Whether `user` may approve: the supervisor's user or the owner, never the clinician."""
    supervisor = appointment.clinician.supervisor
    if supervisor is None or appointment.clinician.user_id == user.pk:
        return False
    return _is_owner(user) or (supervisor.user_id is not None and supervisor.user_id == user.pk)


def _denied(ctx: AuditContext, appointment: Appointment, field: str, message: str) -> NoReturn:
    _audit(
        ctx=ctx,
        appointment=appointment,
        action=AuditAction.UPDATE,
        fields=[field],
        outcome=AuditOutcome.DENIED,
    )
    raise PermissionDenied(message)


def appointment_note_sign(
    *, appointment: Appointment, actor: User, ctx: AuditContext
) -> Appointment:
    """Record that the session's clinical note is signed (who and when)."""
    if not appointment_can_sign(appointment=appointment, user=actor):
        _denied(
            ctx,
            appointment,
            "note_signed_at",
            "Only the session's clinician or the practice owner can sign this note.",
        )
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.note_signed_at is not None:
            _refuse_state("The note is already signed.")
        if locked.status not in SIGNABLE:
            _refuse_state("Mark the session completed or no-show before signing its note.")
        locked.note_signed_at = timezone.now()
        locked.note_signed_by = actor
        locked.save(update_fields=["note_signed_at", "note_signed_by", "updated_at"])
        _audit(
            ctx=ctx,
            appointment=locked,
            action=AuditAction.UPDATE,
            fields=["note_signed_at", "note_signed_by"],
        )
    appointment.note_signed_at = locked.note_signed_at
    appointment.note_signed_by = actor
    return appointment


def appointment_approve(*, appointment: Appointment, actor: User, ctx: AuditContext) -> Appointment:
    """Supervisor approval of a supervised clinician's signed session."""
    if appointment.clinician.supervisor_id is None:
        _refuse_state("This clinician has no supervisor, so no approval is needed.")
    if not appointment_can_approve(appointment=appointment, user=actor):
        _denied(
            ctx,
            appointment,
            "supervisor_approved_at",
            "Only the clinician's supervisor or the practice owner can approve this session.",
        )
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.note_signed_at is None:
            _refuse_state("The note must be signed before a supervisor approves the session.")
        if locked.supervisor_approved_at is not None:
            _refuse_state("This session is already approved.")
        locked.supervisor_approved_at = timezone.now()
        locked.supervisor_approved_by = actor
        locked.save(
            update_fields=["supervisor_approved_at", "supervisor_approved_by", "updated_at"]
        )
        _audit(
            ctx=ctx,
            appointment=locked,
            action=AuditAction.UPDATE,
            fields=["supervisor_approved_at", "supervisor_approved_by"],
        )
    appointment.supervisor_approved_at = locked.supervisor_approved_at
    appointment.supervisor_approved_by = actor
    return appointment


@dataclass
class ApprovalResult:
    approved: list[Appointment] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (session id, why)


def appointment_approve_many(
    *, practice: Practice, appointment_ids: Iterable[int], actor: User, ctx: AuditContext
) -> ApprovalResult:
    """Approve several sessions at once ("Approve selected"): each one through
    appointment_approve, so each is permission-checked and audited on its own. One that
    cannot be approved (not this supervisor's, already approved, another practice's) is
    reported back with the reason and does not stop the others."""
    result = ApprovalResult()
    ids = sorted({int(i) for i in appointment_ids})
    found = {a.pk: a for a in Appointment.objects.filter(practice=practice, pk__in=ids)
             .select_related("clinician", "clinician__supervisor")}
    for appt_id in ids:
        appointment = found.get(appt_id)
        if appointment is None:
            result.refused.append((appt_id, "not found"))
            continue
        try:
            result.approved.append(
                appointment_approve(appointment=appointment, actor=actor, ctx=ctx))
        except (DomainError, PermissionDenied) as exc:
            why = error_text(exc) if isinstance(exc, DomainError) else str(exc)
            result.refused.append((appt_id, why))
    return result
