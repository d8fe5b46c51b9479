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
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from . import actions
from .cms1500 import MODES as CMS1500_MODES
from .cms1500 import NoProviderProfile
from .cms1500_views import cms1500_claim, cms1500_response
from .forms import ClaimFilterForm
from .machine import CLAIM_MACHINE
from .secondary import claim_secondary_bill
from .selectors import claim_list, claim_totals

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
    """resubmit | replace | void | secondary | appeal | write-off | status-inquiry; the
    names a claim's "actions" lists (write_off, inquire) are accepted too."""
    action = API_ACTION_NAMES.get(action, action)
    c = get_object_or_404(claim_list(practice=request.practice), pk=claim_id)
    ctx = AuditContext.from_request(request)
    created = None
    message = ""
    try:
        if action in ("resubmit", "replace", "void", "secondary"):
            service = {"resubmit": actions.claim_resubmit, "replace": actions.claim_replace,
                       "void": actions.claim_void, "secondary": claim_secondary_bill}[action]
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
