"""/api/v1/remittances: ERAs with the claim-by-claim breakdown (amounts as strings)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from oasys.core.api import ErrorsOut, PageOut, paginate
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.era_codes import plb_text
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from .models import Remittance, RemittanceStatus
from .selectors import remittance_breakdown, remittance_get, remittance_list
from .services import remittance_post_rest, remittance_reject

router = Router(tags=["remittances"])


class AdjustmentOut(Schema):
    level: str
    line_number: int | None
    group: str
    reason: str
    reason_text: str
    amount: str


class RemarkOut(Schema):
    code: str
    text: str


class RemittanceClaimOut(Schema):
    id: int
    claim_id: int | None
    client_id: int | None
    matched: bool
    patient_control_number: str
    payer_claim_number: str
    status_code: str
    status_text: str
    reversal: bool
    service_date: date | None
    billed: str
    allowed: str
    paid: str
    client_responsibility: str
    contractual: str
    open: str
    adjustments: list[AdjustmentOut]
    remarks: list[RemarkOut]
    invoice_id: int | None
    client_share_to_invoice: str


class ProviderAdjustmentOut(Schema):
    reason: str
    reason_text: str
    reference: str
    amount: str


class RemittanceOut(Schema):
    id: int
    status: str
    reason: str
    payer_name: str
    payer_id: str
    payment_method: str
    payment_date: date | None
    trace_number: str
    total_payment: str
    claim_count: int
    unmatched_count: int
    damaged_claim_count: int
    edi_file_id: int


class ClaimDamageOut(Schema):
    """A claim of the 835 that could not be read (never posted): where and why."""

    claim_index: int
    patient_control_number: str
    paid: str
    position: int
    segment_id: str
    element: str
    expected: str
    found: str
    message: str


class EncodingWarningOut(Schema):
    """A byte of an uploaded file that was not UTF-8, read as cp1252/Latin-1 (x12.encoding):
    where it was (segment number, ISA = 1; element index) and what it was read as."""

    message: str
    byte_offset: int | None
    position: int | None
    segment_id: str | None
    element: int | None
    found: str | None
    read_as: str | None


class RemittanceDetailOut(RemittanceOut):
    claims: list[RemittanceClaimOut]
    provider_adjustments: list[ProviderAdjustmentOut]
    damage: list[ClaimDamageOut]
    encoding_warnings: list[EncodingWarningOut]


class RejectIn(Schema):
    reason: str = ""


DECIDE_RESPONSES = {200: RemittanceDetailOut, 409: ErrorsOut, 422: ErrorsOut}


def _summary(r: Remittance) -> dict:
    return {"id": r.pk, "status": r.status, "reason": r.reason, "payer_name": r.payer_name,
            "payer_id": r.payer_identifier, "payment_method": r.payment_method,
            "payment_date": r.payment_date, "trace_number": r.trace_number,
            "total_payment": money_str(r.amount), "claim_count": r.claim_count,
            "unmatched_count": r.unmatched_count,
            "damaged_claim_count": r.damaged_claim_count, "edi_file_id": r.edi_file_id}


class RemittanceListOut(PageOut):
    items: list[RemittanceOut]


@router.get("", response=RemittanceListOut)
@api_permission("billing.work")
def remittances(request: HttpRequest, status: str = "", page: int = 1, page_size: int = 500):
    if status and status not in RemittanceStatus.values:
        raise HttpError(422, f"status must be one of {', '.join(RemittanceStatus.values)}")
    rows, meta = paginate(remittance_list(practice=request.practice, status=status),
                          page=page, page_size=page_size, max_size=500)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="remittance", detail={"list": status or "all", "count": len(rows)})
    return {**meta, "items": [_summary(r) for r in rows]}


def _remittance(request: HttpRequest, remittance_id: int) -> Remittance:
    try:
        return remittance_get(practice=request.practice, pk=remittance_id)
    except Remittance.DoesNotExist as exc:
        raise HttpError(404, "Not found") from exc


@router.get("/{remittance_id}", response=RemittanceDetailOut)
@api_permission("billing.work")
def remittance(request: HttpRequest, remittance_id: int):
    return _detail(request, _remittance(request, remittance_id))


@router.post("/{remittance_id}/post-rest", response=DECIDE_RESPONSES)
@api_permission("billing.work")
def remittance_post_rest_route(request: HttpRequest, remittance_id: int):
    """"Post the rest" of an ERA held for damaged claims (status damaged): every other
    claim posts, the damaged ones stay listed, not posted. 409 when it is not held or a
    payment in it was already posted (nothing posted)."""
    r = _remittance(request, remittance_id)
    remittance_post_rest(remittance=r, ctx=AuditContext.from_request(request),
                         actor=request.user)
    return 200, _detail(request, _remittance(request, remittance_id))


@router.post("/{remittance_id}/reject", response=DECIDE_RESPONSES)
@api_permission("billing.work")
def remittance_reject_route(request: HttpRequest, remittance_id: int, body: RejectIn):
    """"Reject the file": an ERA held for damaged claims posts nothing, for good; `reason`
    is required (422 without it), 409 when it is not held."""
    r = _remittance(request, remittance_id)
    remittance_reject(remittance=r, reason=body.reason, ctx=AuditContext.from_request(request),
                      actor=request.user)
    return 200, _detail(request, _remittance(request, remittance_id))


def _detail(request: HttpRequest, r: Remittance) -> dict:
    breakdown = remittance_breakdown(practice=request.practice, remittance=r)
    audit_list_read(request, category="remittance", obj=r,
                    client_ids=[c.rc.client_id for c in breakdown])
    claims = []
    for c in breakdown:
        rc = c.rc
        claims.append({
            "id": rc.pk, "claim_id": rc.claim_id, "client_id": rc.client_id,
            "matched": rc.claim_id is not None,
            "patient_control_number": rc.patient_control_number,
            "payer_claim_number": rc.payer_claim_number, "status_code": rc.status_code,
            "status_text": c.status_text, "reversal": rc.is_reversal,
            "service_date": rc.service_date, "billed": money_str(rc.charge),
            "allowed": money_str(rc.allowed), "paid": money_str(rc.paid),
            "client_responsibility": money_str(rc.client_share),
            "contractual": money_str(rc.contractual_amount), "open": money_str(rc.open_amount),
            "adjustments": [{"level": a.level, "line_number": a.line_number, "group": a.group,
                             "reason": a.reason, "reason_text": a.reason_text,
                             "amount": money_str(a.amount)} for a in c.adjustments],
            "remarks": [{"code": m["code"], "text": m["text"]} for m in c.remarks],
            "invoice_id": c.invoice_id, "client_share_to_invoice": money_str(c.pending_share),
        })
    return {**_summary(r), "claims": claims, "damage": list(r.damage or []),
            "encoding_warnings": list(r.encoding_warnings or []),
            "provider_adjustments": [
        {"reason": p.reason, "reason_text": plb_text(p.reason), "reference": p.reference,
         "amount": money_str(p.amount)} for p in r.provider_adjustments.all()]}
