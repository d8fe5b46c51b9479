"""/api/v1/invoices: the practice's invoices with their lines, history and the journal's
figures, and creating a standalone invoice. Sending, voiding, payments and refunds are
added by the payments work as routes under /invoices/{id}/…

Amounts are strings with two decimals. A standalone line's amount may be sent as a string
("50.00", the exact way) or a JSON number; a number that is not a whole count of cents
(1.005) is refused, never rounded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError

from oasys.core.api import ErrorsOut, PageOut, paginate
from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import BILLING_ROLES, require_roles
from oasys.core.text import parse_id
from oasys.ledger.selectors import InvoiceFigures, invoice_figures

from .machine import INVOICE_MACHINE
from .models import Invoice, InvoiceKind, InvoiceStatus
from .selectors import invoice_list
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
    lines: list[LineOut]
    events: list[EventOut]
    # What can be done to the invoice now (the invoice machine's action names), e.g. "void".
    actions: list[str]


class InvoiceListOut(PageOut):
    items: list[InvoiceOut]


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
        "actions": sorted(INVOICE_MACHINE.allowed_action_names(inv)),
    }


def _detailed(qs):
    return qs.prefetch_related("lines", "events__actor")


@router.get("", response=InvoiceListOut)
def invoices(request: HttpRequest, status: str = "", client: str = "", kind: str = "",
             page: int = 1, page_size: int = 50):
    require_roles(request, BILLING_ROLES)
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
def invoice(request: HttpRequest, invoice_id: int):
    require_roles(request, BILLING_ROLES)
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
def invoice_create(request: HttpRequest, payload: StandaloneIn):
    """A standalone invoice (Draft): {"client_id", "lines": [{"description", "date",
    "amount"}]}. 422 with field errors (lines.<n>.<field>); 404 for a client not of this
    practice."""
    require_roles(request, BILLING_ROLES)
    inv = invoice_create_standalone(
        practice=request.practice, client_id=payload.client_id if payload.client_id is not None
        else "", lines=[line.dict() for line in payload.lines or []],
        ctx=AuditContext.from_request(request), actor=request.user)
    inv = _detailed(invoice_list(practice=request.practice)).get(pk=inv.pk)
    fig = invoice_figures(practice=request.practice, invoice_ids=[inv.pk])[inv.pk]
    return 201, _out(inv, fig)
