"""Billing → Manage Invoices: every invoice with its status, kind and lines.

Delivery through Stripe, reminders and payments come with the payments work; until then
invoices are created as Drafts (from Bill Sessions and from ERAs' client responsibility)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.models import AuditAction
from oasys.core.permissions import BILLING_ROLES, practice_required
from oasys.ledger.selectors import invoice_figures, invoice_figures_one

from .models import InvoiceKind, InvoiceStatus
from .selectors import invoice_counts, invoice_list


@practice_required(roles=BILLING_ROLES)
def invoices(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    if kind not in InvoiceKind.values:
        kind = ""
    qs = invoice_list(practice=request.practice, status=status, kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    figures = invoice_figures(practice=request.practice, invoice_ids=[i.pk for i in page])
    rows = [(inv, figures.get(inv.pk)) for inv in page]
    audit_list_read(request, category="invoice", client_ids=[i.client_id for i in page],
                    detail={"list": status or "all", "total": page.paginator.count})
    return render(request, "invoices/list.html", {
        "page": page, "rows": rows, "status": status, "kind": kind,
        "statuses": InvoiceStatus.choices, "kinds": InvoiceKind.choices,
        "counts": invoice_counts(practice=request.practice),
    })


@practice_required(roles=BILLING_ROLES)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(invoice_list(practice=request.practice), pk=pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="invoice", client_id=invoice.client_id, object_type="Invoice",
                 object_id=invoice.pk)
    return render(request, "invoices/detail.html", {
        "invoice": invoice, "lines": invoice.lines.select_related("appointment"),
        "events": invoice.events.select_related("actor"),
        "figures": invoice_figures_one(practice=request.practice, invoice=invoice),
    })
