"""Writes for claims. `claim_transition` (the claim machine, machine.py) is the only code that
assigns a claim status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from oasys.appointments.models import Appointment
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditAction, Practice, User
from oasys.core.statemachine import IllegalTransition as IllegalTransition  # re-exported
from oasys.core.timezones import practice_date
from oasys.practice.cpt import KNOWN_CODES, cpt_extra_codes, cpt_validate

from .machine import CLAIM_MACHINE
from .models import Claim, ClaimEvent, ClaimLine, Frequency, PayerSequence, SavedFilter


def claim_transition(
    *,
    claim: Claim,
    to: str,
    ctx: AuditContext,
    actor: User | None = None,
    source: str = "",
    reason: str = "",
    allow_same: bool = False,
) -> Claim:
    """Move a claim to `to` through the claim machine: lock the row, check the table, record
    the event, audit.

    Re-applying the status a claim already has is a no-op when `allow_same` (inbound files
    are replayed), otherwise it is refused (`IllegalTransition`) like any other illegal edge.
    """
    return CLAIM_MACHINE.transition(obj=claim, to=to, ctx=ctx, actor=actor, source=source,
                                    reason=reason, allow_same=allow_same)


def claims_transition_many(
    *,
    claims: Sequence[Claim],
    to: str,
    ctx: AuditContext,
    actor: User | None = None,
    source: str = "",
    reason: str = "",
    allow_same: bool = False,
    updates: Mapping[str, Any] | None = None,
) -> list[Claim]:
    """`claim_transition` for a batch (a submission's claims): the claim machine's
    `transition_many` (one lock of all rows, every move checked before any write, one
    update, one event insert, an audit row per claim). Returns the claims that moved."""
    return CLAIM_MACHINE.transition_many(objs=claims, to=to, ctx=ctx, actor=actor,
                                         source=source, reason=reason,
                                         allow_same=allow_same, updates=updates)


def claim_try_transition(*, claim: Claim, to: str, ctx: AuditContext, source: str = "",
                         reason: str = "") -> bool:
    """Move if the table allows it and the claim is not there already (inbound files report
    what happened rather than ask); say whether it moved."""
    return CLAIM_MACHINE.try_transition(obj=claim, to=to, ctx=ctx, source=source,
                                        reason=reason)


@dataclass(frozen=True)
class ClaimDraft:
    """What the readiness engine knows about one Ready claim."""

    appointment_id: int
    policy_id: int
    payer_id: int
    cpt: str
    charge: object  # Decimal
    diagnosis_codes: tuple[str, ...]


class AlreadyBilled(Conflict):
    """The session already has a claim (perhaps created a moment ago by someone else)."""


def claim_create_for_session(
    *, practice: Practice, draft: ClaimDraft, ctx: AuditContext, actor: User | None = None
) -> Claim:
    """Create the Draft claim for one session. The unique billing key refuses a second one.
    A CPT code the practice cannot bill is refused (InvalidInput), nothing written: the
    readiness engine names it first, this keeps any other caller from sending it."""
    if error := cpt_validate(practice=practice, code=draft.cpt, required=True):
        raise InvalidInput({"cpt": error})
    appt = Appointment.objects.select_related("client", "clinician").get(
        practice=practice, pk=draft.appointment_id
    )
    service_date = practice_date(appt.start, practice)
    try:
        with transaction.atomic():
            claim = claim_row_create(
                practice=practice,
                billing_key=f"appt:{appt.pk}:{PayerSequence.PRIMARY}",
                appointment=appt,
                client=appt.client,
                policy_id=draft.policy_id,
                payer_id=draft.payer_id,
                clinician=appt.clinician,
                frequency=Frequency.ORIGINAL,
                payer_sequence=PayerSequence.PRIMARY,
                service_date=service_date,
                place_of_service=appt.place_of_service,
                total_charge=draft.charge,
                diagnosis_codes=list(draft.diagnosis_codes),
                created_by=actor,
            )
            ClaimLine.objects.create(
                practice=practice,
                claim=claim,
                line_number=1,
                procedure_code=draft.cpt,
                modifiers=appt.modifier_list,
                charge=draft.charge,
                diagnosis_pointers=list(range(1, min(4, len(draft.diagnosis_codes)) + 1)),
                service_date=service_date,
            )
            CLAIM_MACHINE.record_created(obj=claim, actor=actor, source="bill sessions",
                                         reason="created from a completed session")
            audit_record(
                ctx=ctx, action=AuditAction.CREATE, category="claim", client_id=appt.client_id,
                object_type="Claim", object_id=claim.pk,
            )
    except IntegrityError as exc:
        raise AlreadyBilled(f"Session {appt.pk} already has a claim") from exc
    return claim


@dataclass
class ClaimsCreated:
    """What `claims_create_for_sessions` made: the Draft claims (in the drafts' order) and
    the sessions that already had one (AlreadyBilled, nothing written for them)."""

    claims: list[Claim]
    already_billed: list[int]


def claims_create_for_sessions(
    *,
    practice: Practice,
    drafts: Sequence[ClaimDraft],
    ctx: AuditContext,
    actor: User | None = None,
    appointments: Mapping[int, Appointment] | None = None,
) -> ClaimsCreated:
    """`claim_create_for_session` for a chunk of sessions: the same rows (claim, line,
    created event, audit row), the same refusals, in a fixed number of queries plus one
    audit row per claim.

    Every CPT code is checked before anything is written (InvalidInput names the first bad
    one, nothing written). The chunk is inserted in one savepoint; if the unique billing key
    refuses any of it (someone billed one of the sessions a moment ago), that savepoint is
    rolled back and the sessions are created one by one, so the others are still billed and
    the billed one is reported in `already_billed`. `appointments`: the sessions as the
    caller already loaded them (with client and clinician), else one query loads them."""
    extra: frozenset[str] | None = None  # the practice's added codes, read once if needed
    for draft in drafts:
        if extra is None and draft.cpt and draft.cpt not in KNOWN_CODES:
            extra = frozenset(cpt_extra_codes(practice=practice))
        if error := cpt_validate(practice=practice, code=draft.cpt, required=True,
                                 extra_codes=extra):
            raise InvalidInput({"cpt": error})
    if not drafts:
        return ClaimsCreated(claims=[], already_billed=[])
    wanted = [d.appointment_id for d in drafts]
    if appointments is None or any(i not in appointments for i in wanted):
        appointments = Appointment.objects.select_related("client", "clinician").in_bulk(
            wanted)
    for draft in drafts:
        appt = appointments.get(draft.appointment_id)
        if appt is None or appt.practice_id != practice.pk:
            raise Appointment.DoesNotExist(f"Session {draft.appointment_id} is not found")
    try:
        with transaction.atomic():
            claims = _claims_insert(practice=practice, drafts=drafts, appointments=appointments,
                                    ctx=ctx, actor=actor)
        return ClaimsCreated(claims=claims, already_billed=[])
    except IntegrityError:
        pass  # one of them is billed already: find which, one savepoint each
    out = ClaimsCreated(claims=[], already_billed=[])
    for draft in drafts:
        try:
            out.claims.append(claim_create_for_session(practice=practice, draft=draft,
                                                       ctx=ctx, actor=actor))
        except AlreadyBilled:
            out.already_billed.append(draft.appointment_id)
    return out


def _claims_insert(*, practice: Practice, drafts: Sequence[ClaimDraft],
                   appointments: Mapping[int, Appointment], ctx: AuditContext,
                   actor: User | None) -> list[Claim]:
    """The rows of `claim_create_for_session` for many sessions at once (inside the caller's
    savepoint): claims, their patient control numbers, lines, created events, audit rows."""
    rows: list[tuple[Claim, ClaimDraft, Appointment]] = []
    for draft in drafts:
        appt = appointments[draft.appointment_id]
        key = f"appt:{appt.pk}:{PayerSequence.PRIMARY}"
        rows.append((Claim(
            practice=practice, billing_key=key, patient_control_number=f"tmp-{key}"[:20],
            appointment=appt, client=appt.client, policy_id=draft.policy_id,
            payer_id=draft.payer_id, clinician=appt.clinician, frequency=Frequency.ORIGINAL,
            payer_sequence=PayerSequence.PRIMARY,
            service_date=practice_date(appt.start, practice),
            place_of_service=appt.place_of_service, total_charge=draft.charge,
            diagnosis_codes=list(draft.diagnosis_codes), created_by=actor), draft, appt))
    claims = Claim.objects.bulk_create([claim for claim, _, _ in rows])
    if any(claim.pk is None for claim in claims):  # a backend without RETURNING on insert
        raise RuntimeError("bulk insert did not return the claim ids")
    # The patient control number comes from the row id: one UPDATE for the chunk.
    for claim in claims:
        claim.patient_control_number = patient_control_number(claim.pk)
    Claim.objects.bulk_update(claims, ["patient_control_number"])
    ClaimLine.objects.bulk_create([
        ClaimLine(practice=practice, claim=claim, line_number=1, procedure_code=draft.cpt,
                  modifiers=appt.modifier_list, charge=draft.charge,
                  diagnosis_pointers=list(range(1, min(4, len(draft.diagnosis_codes)) + 1)),
                  service_date=claim.service_date)
        for claim, draft, appt in rows])
    # The created event `CLAIM_MACHINE.record_created` writes, for the chunk in one insert.
    who = {"actor_id": actor} if isinstance(actor, int) else {"actor": actor}
    ClaimEvent.objects.bulk_create([
        ClaimEvent(claim=claim, practice_id=practice.pk, from_status="", to_status=claim.status,
                   source="bill sessions", reason="created from a completed session", **who)
        for claim in claims])
    for claim in claims:
        audit_record(ctx=ctx, action=AuditAction.CREATE, category="claim",
                     client_id=claim.client_id, object_type="Claim", object_id=claim.pk)
    return claims


def claim_row_create(*, billing_key: str, **fields) -> Claim:
    """Insert a claim row and give it its patient control number, which is derived from the
    row's own id (short, unique, X12-safe). Call inside the caller's transaction."""
    claim = Claim.objects.create(billing_key=billing_key,
                                 patient_control_number=f"tmp-{billing_key}"[:20], **fields)
    claim.patient_control_number = patient_control_number(claim.pk)
    Claim.objects.filter(pk=claim.pk).update(patient_control_number=claim.patient_control_number)
    return claim


def claim_lines_copy(*, source: Claim, target: Claim) -> None:
    """Give `target` (a replacement, void or secondary claim) the lines of `source`."""
    ClaimLine.objects.bulk_create([
        ClaimLine(practice_id=source.practice_id, claim=target, line_number=line.line_number,
                  procedure_code=line.procedure_code, modifiers=line.modifiers,
                  charge=line.charge, units=line.units,
                  diagnosis_pointers=line.diagnosis_pointers, service_date=line.service_date)
        for line in source.lines.all()
    ])


def patient_control_number(claim_id: int) -> str:
    """CLM01: 'OA' + the claim id in base 36, zero padded (X12-safe, at most 20 chars)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n, out = claim_id, ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return "OA" + out.rjust(8, "0")


# --- saved filters of the claims list ----------------------------------------------------------
SAVED_FILTERS_MAX = 30


def saved_filter_create(*, practice: Practice, user: User, name: str, query: str,
                        ctx: AuditContext, list_name: str = "claims") -> SavedFilter:
    """Save the list's current filters under a name (the same name again replaces them).
    `query` must already be the cleaned, id-only query string (views build it from the
    validated filter form). Raises ValidationError for an empty name or too many filters."""
    name = " ".join(name.split())[:60]
    if not name:
        raise ValidationError({"name": "Give the filter a name."})
    mine = SavedFilter.objects.filter(practice=practice, user=user, list_name=list_name)
    with transaction.atomic():
        saved, created = mine.update_or_create(
            practice=practice, user=user, list_name=list_name, name=name,
            defaults={"query": query[:1000]})
        if created and mine.count() > SAVED_FILTERS_MAX:
            raise ValidationError({"name": f"Keep at most {SAVED_FILTERS_MAX} saved filters; "
                                           "remove one first."})
        audit_record(ctx=ctx, action=AuditAction.CREATE if created else AuditAction.UPDATE,
                     category="saved_filter", object_type="SavedFilter", object_id=saved.pk,
                     detail={"list": list_name, "query": saved.query})
    return saved


def saved_filter_delete(*, saved: SavedFilter, ctx: AuditContext) -> None:
    with transaction.atomic():
        pk = saved.pk
        audit_record(ctx=ctx, action=AuditAction.DELETE, category="saved_filter",
                     object_type="SavedFilter", object_id=pk,
                     detail={"list": saved.list_name, "query": saved.query})
        saved.delete()
