"""Writes for superbills: create (individual or consolidated), send by email, void and
recreate. Each writes its audit row; status moves go through SUPERBILL_MACHINE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.clients.models import Client
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.formats import date_text
from oasys.core.models import AuditAction, Practice, User
from oasys.core.outbound_mail import email_send
from oasys.core.sequences import sequence_next
from oasys.core.timezones import practice_today

from .machine import SUPERBILL_MACHINE
from .models import Superbill, SuperbillKind, SuperbillLine, SuperbillStatus
from .pdf import superbill_pdf
from .selectors import EligibleSession, eligible_sessions, statement_for, superbill_groups

MAX_DAYS = 366  # one statement covers at most a year of sessions


class AlreadyOnSuperbill(Conflict):
    pass


def superbill_number_next(*, practice: Practice) -> str:
    return f"SB-{sequence_next(name=f'superbill:{practice.pk}'):06d}"


def superbill_request_check(*, practice: Practice, client_ids: Iterable[int],
                            date_from: dt.date | None, date_to: dt.date | None,
                            kind: str) -> list[int]:
    """The request's client ids, or InvalidInput naming every bad field."""
    errors: dict[str, str] = {}
    ids = sorted({int(i) for i in client_ids})
    if not ids:
        errors["client_ids"] = "Choose at least one client."
    elif Client.objects.filter(practice=practice, pk__in=ids).count() != len(ids):
        errors["client_ids"] = "A chosen client is not one of this practice's clients."
    if date_from is None:
        errors["date_from"] = "Enter the first day of the period."
    if date_to is None:
        errors["date_to"] = "Enter the last day of the period."
    if date_from and date_to:
        if date_to < date_from:
            errors["date_to"] = "The period ends before it starts."
        elif (date_to - date_from).days >= MAX_DAYS:
            errors["date_to"] = "A superbill covers at most one year."
    if kind not in SuperbillKind.values:
        errors["kind"] = "Choose individual (one PDF per session) or consolidated."
    if errors:
        raise InvalidInput(errors=errors)
    return ids


def superbill_create(*, practice: Practice, client_ids: Iterable[int], date_from: dt.date,
                     date_to: dt.date, kind: str, ctx: AuditContext,
                     appointment_ids: Iterable[int] | None = None,
                     actor: User | None = None) -> list[Superbill]:
    """Superbills for the eligible sessions of the clients in the period (only those in
    `appointment_ids` when given: the ones left ticked on the review). A session already on
    a non-void superbill refuses the whole request (409) and nothing is made."""
    ids = superbill_request_check(practice=practice, client_ids=client_ids,
                                  date_from=date_from, date_to=date_to, kind=kind)
    wanted = None if appointment_ids is None else {int(i) for i in appointment_ids}
    sessions = eligible_sessions(practice=practice, client_ids=ids, date_from=date_from,
                                 date_to=date_to, appointment_ids=wanted)
    if wanted is not None and len(sessions) != len(wanted):
        raise InvalidInput(errors={"appointment_ids": "A chosen session is not eligible for "
                                                      "a superbill (completed, not billed to "
                                                      "insurance, in the period)."})
    if wanted is None:  # everything eligible: what is already stated or has no fee is left out
        sessions = [s for s in sessions if s.selectable]
    unpriced = [s for s in sessions if s.fee is None]
    if unpriced:
        raise InvalidInput(errors={"appointment_ids": (
            f"The session of {date_text(unpriced[0].service_date)} has no fee: set the "
            "service type's rate or the client's price, then make the superbill.")})
    taken = [s.on_superbill for s in sessions if not s.selectable]
    if taken:
        raise AlreadyOnSuperbill(f"A chosen session is already on superbill {taken[0]}; "
                                 "void it first or untick the session.")
    if not sessions:
        raise InvalidInput(errors={"appointment_ids": "No eligible sessions in this period "
                                                      "for the chosen clients."})
    today = practice_today(practice)
    made: list[Superbill] = []
    try:
        with transaction.atomic():
            for group in superbill_groups(sessions=sessions, kind=kind):
                made.append(_create_one(practice=practice, group=group, kind=kind,
                                        date_from=date_from, date_to=date_to, today=today,
                                        ctx=ctx, actor=actor))
    except IntegrityError as exc:  # someone stated one of these sessions a moment ago
        raise AlreadyOnSuperbill("A chosen session was just put on another superbill; "
                                 "review the sessions again.") from exc
    return made


def _create_one(*, practice: Practice, group: list[EligibleSession], kind: str,
                date_from: dt.date, date_to: dt.date, today: dt.date, ctx: AuditContext,
                actor: User | None) -> Superbill:
    client = group[0].appointment.client
    days = [s.service_date for s in group]
    individual = kind == SuperbillKind.INDIVIDUAL
    sb = Superbill.objects.create(
        practice=practice, client=client, number=superbill_number_next(practice=practice),
        kind=kind, period_start=min(days) if individual else date_from,
        period_end=max(days) if individual else date_to, statement_date=today,
        created_by=actor)
    SuperbillLine.objects.bulk_create([SuperbillLine(
        practice=practice, superbill=sb, appointment=s.appointment,
        service_date=s.service_date, cpt_code=s.cpt_code, description=s.description[:200],
        modifiers=",".join(s.appointment.modifier_list),
        place_of_service=s.appointment.place_of_service,
        diagnosis_codes=",".join(s.diagnosis_codes)[:120], fee=s.fee) for s in group])
    SUPERBILL_MACHINE.record_created(obj=sb, actor=actor, source="superbills",
                                     reason=f"{kind}, {len(group)} sessions")
    audit_record(ctx=ctx, action=AuditAction.CREATE, category="superbill",
                 client_id=client.pk, object_type="Superbill", object_id=sb.pk,
                 detail={"kind": kind, "sessions": len(group),
                         "appointment_ids": [s.appointment.pk for s in group]})
    return sb


def superbill_send(*, superbill: Superbill, ctx: AuditContext, actor: User | None = None,
                   to: str = "") -> Superbill:
    """Email the superbill's PDF to the client (or `to`). The message names no diagnosis
    and no service: those are in the attachment only."""
    SUPERBILL_MACHINE.require_action(superbill, "send")
    client = superbill.client
    address = (to or client.email or "").strip()
    if not address:
        raise InvalidInput(errors={"to": "The client has no email address on file."})
    practice = superbill.practice
    pdf = superbill_pdf(statements=[statement_for(superbill=superbill)])
    with transaction.atomic():
        email_send(
            practice=practice, to=address,
            subject=f"Your superbill {superbill.number} from {practice.name}",
            template="email/notice",
            context={"heading": f"Superbill {superbill.number}", "paragraphs": [
                f"Hello {client.first_name},",
                "Attached is a superbill for your sessions with "
                f"{practice.name}: a statement of the services and what you paid, for you "
                "to submit to your insurance for out-of-network reimbursement.",
                "It is not a bill: nothing is owed because of it. Please contact us if "
                "anything on it looks wrong.",
            ]},
            ctx=ctx, kind="superbill",
            attachments=[(f"Superbill {superbill.number}.pdf", pdf, "application/pdf")],
            object_type="Superbill", object_id=superbill.pk, client_id=client.pk)
        now = timezone.now()
        if superbill.status == SuperbillStatus.SENT:  # sent again: it stays Sent
            Superbill.objects.filter(pk=superbill.pk).update(sent_at=now, sent_to=address)
            superbill.sent_at, superbill.sent_to = now, address
        else:
            SUPERBILL_MACHINE.transition(obj=superbill, to=SuperbillStatus.SENT, ctx=ctx,
                                         actor=actor, source="email",
                                         updates={"sent_at": now, "sent_to": address})
        audit_record(ctx=ctx, action=AuditAction.EXPORT, category="superbill",
                     client_id=client.pk, object_type="Superbill", object_id=superbill.pk,
                     detail={"via": "email", "format": "pdf"})
    return superbill


def superbill_void(*, superbill: Superbill, ctx: AuditContext, actor: User | None = None,
                   reason: str = "") -> Superbill:
    """Withdraw the superbill; its sessions may go on a new one."""
    SUPERBILL_MACHINE.require_action(superbill, "void")
    with transaction.atomic():
        SUPERBILL_MACHINE.transition(obj=superbill, to=SuperbillStatus.VOID, ctx=ctx,
                                     actor=actor, source="superbills", reason=reason[:300],
                                     updates={"voided_at": timezone.now()})
        SuperbillLine.objects.filter(superbill=superbill).update(current=False)
    return superbill


def superbill_recreate(*, superbill: Superbill, ctx: AuditContext,
                       actor: User | None = None) -> Superbill:
    """A new superbill of the same sessions with today's records (a corrected fee, a
    diagnosis added since); the old one is voided, and points at the new one."""
    SUPERBILL_MACHINE.require_action(superbill, "recreate")
    appointment_ids = list(superbill.lines.values_list("appointment_id", flat=True))
    with transaction.atomic():
        if superbill.status != SuperbillStatus.VOID:
            superbill_void(superbill=superbill, ctx=ctx, actor=actor, reason="recreated")
        made = superbill_create(
            practice=superbill.practice, client_ids=[superbill.client_id],
            date_from=superbill.period_start, date_to=superbill.period_end,
            kind=SuperbillKind.CONSOLIDATED, appointment_ids=appointment_ids, ctx=ctx,
            actor=actor)
        new = made[0]
        if superbill.kind != new.kind:  # keep the original's kind on the record
            Superbill.objects.filter(pk=new.pk).update(kind=superbill.kind)
            new.kind = superbill.kind
        Superbill.objects.filter(pk=superbill.pk).update(replaced_by=new)
        superbill.replaced_by = new
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="superbill",
                     client_id=superbill.client_id, object_type="Superbill",
                     object_id=superbill.pk, detail={"recreated_as": new.pk})
    return new
