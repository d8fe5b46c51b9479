"""/api/v1/invoices: the practice's invoices with their lines, history, payments, refunds,
card attempts and the journal's figures; creating a standalone invoice; and the actions
(send, resend, void, mark-uncollectible, record-payment, refund, request-payment-method),
each answering the invoice as `GET /{id}` does. An action the invoice's status does not
allow answers 409 with the reason; bad input 422 with field errors; another practice's
invoice 404.

Record-payment and refund create rows: the `Idempotency-Key` header is their token, else one
is derived from the route and the body, so the same request twice records once.

Amounts are strings with two decimals. A standalone line's amount may be sent as a string
("50.00", the exact way) or a JSON number; a number that is not a whole count of cents
(1.005) is refused, never rounded."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from oasys.core.api import ErrorsOut, PageOut, paginate
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput, NotFound
from oasys.core.models import AuditAction
from oasys.core.money import ZERO, money_str
from oasys.core.permissions import api_permission
from oasys.core.text import parse_id
from oasys.ledger.selectors import InvoiceFigures, invoice_figures

from .actions import (
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_request_payment_method,
    invoice_void,
)
from .machine import INVOICE_MACHINE
from .models import Invoice, InvoiceKind, InvoiceStatus, RefundStatus
from .selectors import invoice_list
from .sending import invoice_resend, invoice_send
from .services import invoice_create_standalone

router = Router(tags=["invoices"])


class LineOut(Schema):
    id: int
    description: str
    date: dt.date | None
    cpt_code: str
    amount: str
    session_id: int | None


class EventOut(Schema):
    at: dt.datetime
    from_status: str
    to_status: str
    actor: str
    source: str
    reason: str


class PaymentOut(Schema):
    id: int
    method: str
    amount: str
    fee: str
    received_on: dt.date
    reference: str
    card_brand: str
    card_last4: str
    stripe_charge_id: str
    note: str
    source: str
    created_at: dt.datetime


class RefundOut(Schema):
    id: int
    payment_id: int
    amount: str
    reason: str
    status: str
    error: str
    stripe_refund_id: str
    created_at: dt.datetime


class AttemptOut(Schema):
    number: int
    at: dt.datetime
    trigger: str
    outcome: str
    amount: str
    card_brand: str
    card_last4: str
    decline_code: str
    reason: str
    finished_at: dt.datetime | None


class InvoiceOut(Schema):
    id: int
    number: str
    client_id: int
    kind: str
    status: str
    issue_date: dt.date
    due_date: dt.date
    total: str
    paid: str
    balance: str
    refunded: str
    lines: list[LineOut]
    events: list[EventOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    attempts: list[AttemptOut]
    # Its copy on Stripe ("" when not on Stripe) and the client's payment page there.
    stripe_invoice_id: str
    hosted_invoice_url: str
    sent_at: dt.datetime | None
    paid_at: dt.datetime | None
    next_charge_at: dt.datetime | None
    decline_reason: str
    # What can be done to the invoice now (the invoice machine's action names), e.g. "void".
    actions: list[str]


class InvoiceListOut(PageOut):
    items: list[InvoiceOut]


def _refunded(inv: Invoice) -> str:
    # what the refunds gave back (succeeded ones: a pending or failed refund moved no money)
    done = [r.amount for r in inv.refunds.all() if r.status == RefundStatus.SUCCEEDED]
    return money_str(sum(done, start=ZERO))


def _out(inv: Invoice, fig: InvoiceFigures) -> dict[str, Any]:
    return {
        "id": inv.pk, "number": inv.number, "client_id": inv.client_id, "kind": inv.kind,
        "status": inv.status, "issue_date": inv.issue_date, "due_date": inv.due_date,
        "total": money_str(fig.total), "paid": money_str(fig.paid),
        "balance": money_str(fig.balance),
        "lines": [{"id": line.pk, "description": line.description, "date": line.service_date,
                   "cpt_code": line.cpt_code, "amount": money_str(line.amount),
                   "session_id": line.appointment_id} for line in inv.lines.all()],
        "events": [{"at": e.created_at, "from_status": e.from_status, "to_status": e.to_status,
                    "actor": e.actor.email if e.actor_id else "", "source": e.source,
                    "reason": e.reason} for e in inv.events.all()],
        "refunded": _refunded(inv),
        "payments": [{"id": p.pk, "method": p.method, "amount": money_str(p.amount),
                      "fee": money_str(p.fee), "received_on": p.received_on,
                      "reference": p.reference, "card_brand": p.card_brand,
                      "card_last4": p.card_last4, "stripe_charge_id": p.stripe_charge_id,
                      "note": p.note, "source": p.source, "created_at": p.created_at}
                     for p in inv.payments.all()],
        "refunds": [{"id": r.pk, "payment_id": r.payment_id, "amount": money_str(r.amount),
                     "reason": r.reason, "status": r.status, "error": r.error,
                     "stripe_refund_id": r.stripe_refund_id, "created_at": r.created_at}
                    for r in inv.refunds.all()],
        "attempts": [{"number": a.number, "at": a.created_at, "trigger": a.trigger,
                      "outcome": a.outcome, "amount": money_str(a.amount),
                      "card_brand": a.card_brand, "card_last4": a.card_last4,
                      "decline_code": a.decline_code, "reason": a.reason,
                      "finished_at": a.finished_at} for a in inv.attempts.all()],
        "stripe_invoice_id": inv.stripe_invoice_id,
        "hosted_invoice_url": inv.hosted_invoice_url,
        "sent_at": inv.sent_at, "paid_at": inv.paid_at, "next_charge_at": inv.next_charge_at,
        "decline_reason": inv.decline_reason,
        "actions": sorted(INVOICE_MACHINE.allowed_action_names(inv)),
    }


def _detailed(qs):
    return qs.prefetch_related("lines", "events__actor", "payments", "refunds", "attempts")


@router.get("", response=InvoiceListOut)
@api_permission("billing.work")
def invoices(request: HttpRequest, status: str = "", client: str = "", kind: str = "",
             page: int = 1, page_size: int = 50):
    if status and status not in InvoiceStatus.values:
        raise HttpError(422, f"status must be one of {', '.join(InvoiceStatus.values)}")
    if kind and kind not in InvoiceKind.values:
        raise HttpError(422, f"kind must be one of {', '.join(InvoiceKind.values)}")
    client_id = parse_id(client) if client else None
    if client and client_id is None:
        raise HttpError(422, "client must be a client id")
    qs = _detailed(invoice_list(practice=request.practice, status=status, kind=kind,
                                client_id=client_id))
    rows, meta = paginate(qs, page=page, page_size=page_size)
    figures = invoice_figures(practice=request.practice, invoice_ids=[i.pk for i in rows])
    client_ids = sorted({i.client_id for i in rows})
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="invoice", client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"api": "list", "status": status, "count": len(rows),
                         "client_ids": client_ids})
    return {**meta, "items": [_out(i, figures[i.pk]) for i in rows]}


@router.get("/{invoice_id}", response=InvoiceOut)
@api_permission("billing.work")
def invoice(request: HttpRequest, invoice_id: int):
    inv = get_object_or_404(_detailed(invoice_list(practice=request.practice)), pk=invoice_id)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="invoice", client_id=inv.client_id, object_type="Invoice",
                 object_id=inv.pk)
    fig = invoice_figures(practice=request.practice, invoice_ids=[inv.pk])[inv.pk]
    return _out(inv, fig)


class LineIn(Schema):
    description: str | None = None
    date: str | None = None
    # str is the exact form; a JSON number is read by its shortest text (1.5 -> "1.5") and
    # refused when that has more than two decimals; bool first so `true` stays a bool (and is
    # refused) instead of becoming 1
    amount: bool | str | int | float | None = None


class StandaloneIn(Schema):
    client_id: int | str | None = None
    lines: list[LineIn] | None = None


@router.post("", response={201: InvoiceOut, 404: ErrorsOut, 422: ErrorsOut})
@api_permission("billing.work")
def invoice_create(request: HttpRequest, payload: StandaloneIn):
    """A standalone invoice (Draft): {"client_id", "lines": [{"description", "date",
    "amount"}]}. 422 with field errors (lines.<n>.<field>); 404 for a client not of this
    practice."""
    inv = invoice_create_standalone(
        practice=request.practice, client_id=payload.client_id if payload.client_id is not None
        else "", lines=[line.dict() for line in payload.lines or []],
        ctx=AuditContext.from_request(request), actor=request.user)
    inv = _detailed(invoice_list(practice=request.practice)).get(pk=inv.pk)
    fig = invoice_figures(practice=request.practice, invoice_ids=[inv.pk])[inv.pk]
    return 201, _out(inv, fig)


# --- actions -------------------------------------------------------------------------------------
ACTION_RESPONSES = {200: InvoiceOut, 404: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut}


def _target(request: HttpRequest, invoice_id: int) -> Invoice:
    """The practice's invoice (404 for another practice's), before any body is read."""
    inv = invoice_list(practice=request.practice).select_related("practice").filter(
        pk=invoice_id).first()
    if inv is None:
        raise NotFound("No such invoice.")
    return inv


def _answer(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    inv = _detailed(invoice_list(practice=request.practice)).get(pk=invoice_id)
    fig = invoice_figures(practice=request.practice, invoice_ids=[inv.pk])[inv.pk]
    return _out(inv, fig)


def _optional_body(request: HttpRequest) -> dict[str, Any]:
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


def _text(body: dict[str, Any], field: str) -> str:
    value = body.get(field, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput({field: "Send text."})
    return value


def _token(request: HttpRequest, route: str, payload: Schema) -> str:
    """The Idempotency-Key header, else a token derived from the route and the body: the
    same request sent twice is one payment or one refund."""
    header = request.headers.get("Idempotency-Key", "").strip()
    if header:
        return "key-" + hashlib.sha256(header.encode()).hexdigest()[:40]
    body = json.dumps({"route": route, **payload.dict()}, sort_keys=True, default=str)
    return "body-" + hashlib.sha256(body.encode()).hexdigest()[:40]


@router.post("/{invoice_id}/send", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_send_route(request: HttpRequest, invoice_id: int):
    """Draft -> Sending: finalized on Stripe (when the practice takes cards) and emailed;
    the invoice answers Sending until the delivery task has opened it."""
    inv = _target(request, invoice_id)
    invoice_send(invoice=inv, ctx=AuditContext.from_request(request), actor=request.user,
                 source="api")
    return 200, _answer(request, invoice_id)


@router.post("/{invoice_id}/resend", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_resend_route(request: HttpRequest, invoice_id: int):
    """A payment reminder email (Open or Overdue); the status does not move."""
    inv = _target(request, invoice_id)
    invoice_resend(invoice=inv, ctx=AuditContext.from_request(request), actor=request.user)
    return 200, _answer(request, invoice_id)


@router.post("/{invoice_id}/void", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_void_route(request: HttpRequest, invoice_id: int):
    """Void (optional body {"reason"}); refused (409) once something was paid on it."""
    inv = _target(request, invoice_id)
    body = _optional_body(request)
    invoice_void(invoice=inv, ctx=AuditContext.from_request(request), actor=request.user,
                 reason=_text(body, "reason"), source="api")
    return 200, _answer(request, invoice_id)


@router.post("/{invoice_id}/mark-uncollectible", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_mark_uncollectible_route(request: HttpRequest, invoice_id: int):
    """{"reason"}: what is owed is written off."""
    inv = _target(request, invoice_id)
    body = _optional_body(request)
    invoice_mark_uncollectible(invoice=inv, ctx=AuditContext.from_request(request),
                               actor=request.user, reason=_text(body, "reason"), source="api")
    return 200, _answer(request, invoice_id)


@router.post("/{invoice_id}/request-payment-method", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_request_payment_method_route(request: HttpRequest, invoice_id: int):
    """Email the client a link to save a card (optional body {"charge_open_invoices": true}
    to charge their open invoices once it is saved)."""
    inv = _target(request, invoice_id)
    body = _optional_body(request)
    charge = body.get("charge_open_invoices", False)
    if not isinstance(charge, bool):
        raise InvalidInput({"charge_open_invoices": "Send true or false."})
    invoice_request_payment_method(invoice=inv, ctx=AuditContext.from_request(request),
                                   actor=request.user, charge_open_invoices=charge)
    return 200, _answer(request, invoice_id)


class RecordPaymentIn(Schema):
    # the amount as a string ("50.00") or a JSON number, read as the standalone lines are
    amount: bool | str | int | float | None = None
    method: str = ""
    received_on: str | None = None  # YYYY-MM-DD; today (the practice's) when absent
    reference: str = ""
    note: str = ""


@router.post("/{invoice_id}/record-payment", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_record_payment_route(request: HttpRequest, invoice_id: int,
                                 payload: RecordPaymentIn):
    """A payment taken by cash, check or other: {amount, method, received_on, reference,
    note}. At most what is owed; Paid once covered."""
    inv = _target(request, invoice_id)
    invoice_record_payment(
        invoice=inv, amount=payload.amount, method=payload.method,
        received_on=payload.received_on, reference=payload.reference, note=payload.note,
        token=_token(request, "record-payment", payload),
        ctx=AuditContext.from_request(request), actor=request.user)
    return 200, _answer(request, invoice_id)


class RefundIn(Schema):
    amount: bool | str | int | float | None = None
    reason: str = ""
    payment_id: int | None = None  # absent: the latest card payment with money left


@router.post("/{invoice_id}/refund", response=ACTION_RESPONSES)
@api_permission("billing.work")
def invoice_refund_route(request: HttpRequest, invoice_id: int, payload: RefundIn):
    """Refund part or all of a Paid invoice: {amount, reason, payment_id?}. A card payment
    is refunded through Stripe (the refund answers pending until Stripe confirms it)."""
    inv = _target(request, invoice_id)
    invoice_refund(invoice=inv, amount=payload.amount, reason=payload.reason,
                   token=_token(request, "refund", payload),
                   ctx=AuditContext.from_request(request), actor=request.user,
                   payment_id=payload.payment_id)
    return 200, _answer(request, invoice_id)
