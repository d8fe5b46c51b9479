"""/api/v1/claims: claims with their money and history, and the Manage Claims actions."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from oasys.clearinghouse.port import ClearinghouseError
from oasys.core.api import ErrorsOut, PageOut, RowId, paginate
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from . import actions, replacement
from .cms1500 import MODES as CMS1500_MODES
from .cms1500 import NoProviderProfile
from .cms1500_views import cms1500_claim, cms1500_response
from .forms import ClaimFilterForm
from .machine import CLAIM_MACHINE
from .secondary import claim_secondary_bill
from .selectors import claim_list, claim_replacement_draft_get, claim_totals

router = Router(tags=["claims"])


class EventOut(Schema):
    at: dt.datetime
    from_status: str
    to_status: str
    actor: str
    source: str
    reason: str


class ClaimOut(Schema):
    id: int
    patient_control_number: str
    session_ids: list[RowId]
    client_id: int
    status: str
    frequency: str
    payer_sequence: str
    payer: str
    payer_id: str
    service_date: dt.date
    charge: str
    paid: str
    patient_responsibility: str
    payer_claim_number: str
    corrects_id: int | None
    submitted_at: dt.datetime | None
    events: list[EventOut]
    # What can be done to the claim now (the claim machine's action names), e.g. "void".
    actions: list[str]


def _out(c) -> dict:
    return {
        "id": c.pk, "patient_control_number": c.patient_control_number,
        "session_ids": [c.appointment_id], "client_id": c.client_id, "status": c.status,
        "frequency": c.frequency, "payer_sequence": c.payer_sequence, "payer": c.payer.name,
        "payer_id": c.payer.payer_id_claims, "service_date": c.service_date,
        "charge": money_str(c.total_charge), "paid": money_str(c.paid_amount),
        "patient_responsibility": money_str(c.patient_responsibility),
        "payer_claim_number": c.payer_claim_number, "corrects_id": c.corrects_id,
        "submitted_at": c.submitted_at,
        "events": [
            {"at": e.created_at, "from_status": e.from_status, "to_status": e.to_status,
             "actor": e.actor.email if e.actor_id else "", "source": e.source,
             "reason": e.reason}
            for e in c.events.all()
        ],
        "actions": sorted(CLAIM_MACHINE.allowed_action_names(c)),
    }


class ClaimTotalsOut(Schema):
    count: int
    charge: str
    paid: str
    client_share: str


class ClaimListOut(PageOut):
    items: list[ClaimOut]
    # charge, paid and client share of every claim the filters select (every page)
    totals: ClaimTotalsOut


@router.get("", response={200: ClaimListOut, 422: ErrorsOut})
@api_permission("billing.work")
def claims(request: HttpRequest, status: list[str] = Query([]), tab: str = "all",  # noqa: B008
           payer: str = "", clinician: str = "", client: str = "", dos_from: str = "",
           dos_to: str = "", submitted_from: str = "", submitted_to: str = "",
           age_min: str = "", page: int = 1, page_size: int = 200):
    """The claims list with the screen's filters, under the same names: status
    (repeatable), payer, clinician, client (ids), dos_from/dos_to,
    submitted_from/submitted_to (YYYY-MM-DD), age_min (at least that many days since
    submitted). A bad value answers 422 {"errors": {field: message}}."""
    if tab not in ("all", "submitted", "secondary", "denied"):
        return 422, {"errors": {"tab": "tab must be all, submitted, secondary or denied"}}
    form = ClaimFilterForm(request.GET, practice=request.practice)
    if not form.is_valid():
        return 422, {"errors": form.error_dict()}
    qs = claim_list(practice=request.practice, tab=tab, **form.filters()).prefetch_related(
        "events__actor")
    if not qs.ordered:  # a stable order, so pages neither repeat nor skip rows
        qs = qs.order_by("pk")
    rows, meta = paginate(qs, page=page, page_size=page_size, max_size=500)
    totals = claim_totals(claims=qs)
    audit_list_read(request, category="claim", client_ids=[c.client_id for c in rows],
                    detail={"api": "list", "status": ",".join(status)})
    return {**meta, "items": [_out(c) for c in rows], "totals": {
        "count": totals.count, "charge": money_str(totals.charge),
        "paid": money_str(totals.paid), "client_share": money_str(totals.client_share)}}


@router.get("/{claim_id}", response=ClaimOut)
@api_permission("billing.work")
def claim(request: HttpRequest, claim_id: int):
    c = get_object_or_404(claim_list(practice=request.practice), pk=claim_id)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", client_id=c.client_id, object_type="Claim", object_id=c.pk)
    return _out(c)


CMS1500_RESPONSE = {"responses": {200: {
    "description": "The claim as a CMS-1500 (02/12) form",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


@router.get("/{claim_id}/cms1500.pdf", openapi_extra=CMS1500_RESPONSE,
            summary="The claim as a CMS-1500 paper claim form")
@api_permission("billing.work")
def claim_cms1500(request: HttpRequest, claim_id: int, mode: str = "plain") -> HttpResponse:
    """mode=plain draws the whole form; mode=red prints the data only, aligned to the
    pre-printed red form. Any other mode answers 422."""
    if mode not in CMS1500_MODES:
        raise HttpError(422, "mode must be plain or red")
    c = cms1500_claim(practice=request.practice, pk=claim_id)
    try:
        return cms1500_response(claim=c, mode=mode, ctx=AuditContext.from_request(request))
    except NoProviderProfile as exc:
        raise HttpError(409, str(exc)) from exc


class LineEditIn(Schema):
    """One service line of the replacement; a field left out keeps its current value."""

    line_number: int
    procedure_code: str | None = None
    modifiers: list[str] | None = None
    units: str | None = None  # "1", "2.5"
    charge: str | None = None  # "150.00": money as a string, never a float


class AttachmentIn(Schema):
    report_type: str  # PWK01, e.g. "09" progress report, "OZ" support data for the claim
    transmission: str  # PWK02: FX fax, BM mail, EL electronically, EM email, FT, AA
    control_number: str = ""  # PWK06; made from the claim number when left empty


class ReplacementIn(Schema):
    """The corrected claim. Fields left out keep their current value (the open replacement's,
    else the original's); `attachments`, when given, replaces the list."""

    diagnoses: list[str] | None = None
    service_date: dt.date | None = None
    lines: list[LineEditIn] = []
    prior_authorization: str | None = None
    note: str | None = None
    attachments: list[AttachmentIn] | None = None
    confirm: bool = False  # true: send it now; false: store the edits and answer the diff


class ChangeOut(Schema):
    field: str
    label: str
    was: str
    now: str


class ReplacementOut(Schema):
    claim: ClaimOut  # the original
    replacement: ClaimOut | None
    changes: list[ChangeOut]
    sent: bool
    message: str = ""


def _edits(payload: ReplacementIn, source) -> replacement.ReplacementEdits:
    lines = {ln.line_number: ln for ln in payload.lines}
    given = {
        "diagnoses": payload.diagnoses if payload.diagnoses is not None
        else source.diagnosis_codes,
        "service_date": payload.service_date or source.service_date,
        "prior_authorization": (payload.prior_authorization
                                if payload.prior_authorization is not None
                                else source.prior_authorization),
        "note": payload.note if payload.note is not None else source.note,
    }
    current = {ln.line_number: ln for ln in source.lines.all()}
    edits = []
    for n in sorted(set(current) | set(lines)):
        cur, new = current.get(n), lines.get(n)

        def pick(name: str, default, new=new):
            value = getattr(new, name) if new is not None else None
            return default if value is None else value

        edits.append(replacement.LineEdit(
            n, pick("procedure_code", cur.procedure_code if cur else ""),
            pick("modifiers", cur.modifiers if cur else []),
            pick("units", cur.units if cur else ""),
            pick("charge", cur.charge if cur else "")))
    attachments = (
        [replacement.AttachmentEdit(a.report_type, a.transmission, a.control_number)
         for a in payload.attachments] if payload.attachments is not None else
        [replacement.AttachmentEdit(a["report_type"], a["transmission"],
                                    a.get("control_number", ""))
         for a in source.attachments or []])
    return replacement.ReplacementEdits(lines=edits, attachments=attachments, **given)


def _edited(payload: ReplacementIn) -> bool:
    return bool(payload.lines) or any(
        getattr(payload, name) is not None for name in
        ("diagnoses", "service_date", "prior_authorization", "note", "attachments"))


def _replacement_out(original, draft, *, sent: bool, message: str = "") -> dict:
    original.refresh_from_db()
    changes = (replacement.replacement_changes(original=original, replacement=draft)
               if draft is not None and not sent else [])
    if draft is not None:
        draft.refresh_from_db()
    return {"claim": _out(original), "replacement": _out(draft) if draft else None,
            "changes": [c.__dict__ for c in changes], "sent": sent, "message": message}


@router.get("/{claim_id}/replacement", response=ReplacementOut,
            summary="The corrected claim being prepared and what it changes")
@api_permission("billing.work")
def claim_replacement_get(request: HttpRequest, claim_id: int):
    """The replacement of this claim not yet sent, with its "was → now" changes; 404 when
    none is open."""
    c = get_object_or_404(claim_list(practice=request.practice), pk=claim_id)
    draft = claim_replacement_draft_get(original=c)
    if draft is None:
        raise HttpError(404, "No replacement of this claim is being prepared.")
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", client_id=c.client_id, object_type="Claim", object_id=c.pk,
                 detail={"api": "replacement", "replacement": draft.pk})
    return _replacement_out(c, draft, sent=False)


@router.post("/{claim_id}/replacement", response=ReplacementOut,
             summary="Correct a claim with a replacement (frequency 7), reviewed first")
@api_permission("billing.work")
def claim_replacement(request: HttpRequest, claim_id: int, payload: ReplacementIn):
    """Store the edits on the claim's replacement and answer what they change against the
    original ("was → now"). Nothing is sent until `"confirm": true`, which sends the
    replacement (REF*F8 the payer's claim number) and closes the original. Works for a
    denied, paid or partly paid claim, and for a Pending Info one (the information the payer
    asked for, noted in `attachments`). A replacement that changes nothing, or bad input,
    answers 422 {"errors": {field: message}} and changes nothing."""
    c = get_object_or_404(claim_list(practice=request.practice), pk=claim_id)
    ctx = AuditContext.from_request(request)
    CLAIM_MACHINE.require_action(c, replacement.replacement_purpose(c))
    draft = claim_replacement_draft_get(original=c)
    if _edited(payload):
        draft = replacement.claim_replacement_save(
            original=c, edits=_edits(payload, draft or c), ctx=ctx,
            actor=request.user).replacement
    if draft is None or not replacement.replacement_changes(original=c, replacement=draft):
        raise InvalidInput(replacement.NOTHING_CHANGED)
    if not payload.confirm:
        return _replacement_out(c, draft, sent=False,
                                message='Not sent: send again with "confirm": true.')
    outcome = replacement.claim_replacement_send(original=c, ctx=ctx, actor=request.user)
    if outcome.error:
        return _replacement_out(c, draft, sent=False, message=f"Not sent: {outcome.error}")
    return _replacement_out(c, outcome.submitted[0], sent=True,
                            message=f"replacement {outcome.submitted[0].patient_control_number}"
                                    f" sent")


class ActionIn(Schema):
    reason: str = ""
    filed_on: dt.date | None = None
    contact: str = ""


class ActionOut(Schema):
    claim: ClaimOut
    created_claim_id: int | None = None
    message: str = ""


# The claim machine's action names where the route's older names differ.
API_ACTION_NAMES = {"write_off": "write-off", "inquire": "status-inquiry"}


@router.post("/{claim_id}/{action}", response=ActionOut)
@api_permission("billing.work")
def claim_action(request: HttpRequest, claim_id: int, action: str, payload: ActionIn):
    """resubmit | void | secondary | appeal | write-off | status-inquiry; the names a claim's
    "actions" lists (write_off, inquire) are accepted too. replace and send_info answer 422:
    a replacement goes through POST /claims/{claim_id}/replacement (reviewed, confirmed)."""
    action = API_ACTION_NAMES.get(action, action)
    c = get_object_or_404(claim_list(practice=request.practice), pk=claim_id)
    ctx = AuditContext.from_request(request)
    created = None
    message = ""
    try:
        if action in ("replace", "send_info"):
            CLAIM_MACHINE.require_action(c, replacement.replacement_purpose(c))
            raise InvalidInput(
                f"A replacement is reviewed before it is sent: POST /api/v1/claims/{c.pk}/"
                f"replacement with the corrected fields, then with \"confirm\": true.")
        if action in ("resubmit", "void", "secondary"):
            service = {"resubmit": actions.claim_resubmit, "void": actions.claim_void,
                       "secondary": claim_secondary_bill}[action]
            outcome = service(claim=c, ctx=ctx, actor=request.user)
            if outcome.error:
                message = outcome.error
            if action != "resubmit" and outcome.submitted:
                created = outcome.submitted[0].pk
        elif action == "appeal":
            appeal = actions.claim_appeal(claim=c, ctx=ctx, actor=request.user,
                                          data=actions.AppealInput(payload.reason,
                                                                   payload.filed_on,
                                                                   payload.contact))
            message = f"appeal {appeal.pk} recorded"
        elif action == "write-off":
            amount = actions.claim_write_off(claim=c, reason=payload.reason, ctx=ctx,
                                             actor=request.user)
            message = f"wrote off {money_str(amount)}"
        elif action == "status-inquiry":
            try:
                message = actions.claim_status_inquire(claim=c, ctx=ctx)
            except ClearinghouseError as exc:
                raise HttpError(502, f"The payer could not be asked: {exc.message}") from exc
        else:
            raise HttpError(404, "No such action")
    except ValidationError:
        raise  # the API's handler answers 422 {"errors": ...}
    c.refresh_from_db()
    return {"claim": _out(c), "created_claim_id": created, "message": message}
