"""Billing → Manage Invoices: every invoice with its status, kind and lines; tabs per status
with their counts and the journal's totals, filters, search and a CSV export; Create
Standalone; the practice's invoice settings.

Delivery through Stripe, reminders and payments come with the payments work; until then
invoices are created as Drafts (from Bill Sessions, from ERAs' client responsibility, and by
hand as standalone invoices)."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.errors import DomainError
from oasys.core.feedback import error_messages, form_add_errors
from oasys.core.models import AuditAction
from oasys.core.permissions import BILLING_ROLES, practice_required
from oasys.core.timezones import practice_today
from oasys.ledger.selectors import invoice_figures, invoice_figures_one

from .forms import InvoiceFilterForm, InvoiceSettingsForm
from .models import InvoiceKind, InvoiceStatus
from .selectors import (
    invoice_list,
    invoice_rows_with_figures,
    invoice_settings_get,
    invoice_status_totals,
    standalone_client_list,
)
from .services import invoice_create_standalone, invoice_settings_update

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[InvoiceFilterForm, dict]:
    form = InvoiceFilterForm(request.GET or None, practice=request.practice)
    return form, (form.filters() if request.GET else InvoiceFilterForm.EMPTY)


@require_GET
@practice_required(roles=BILLING_ROLES)
def invoices(request: HttpRequest) -> HttpResponse:
    form, filters = _filtered(request)
    status = filters["status"]
    qs = invoice_list(practice=request.practice, **filters)
    # the tabs count the list as filtered, whatever status tab is open
    tabs = invoice_status_totals(practice=request.practice, invoices=invoice_list(
        practice=request.practice, **{**filters, "status": ""}))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    figures = invoice_figures(practice=request.practice, invoice_ids=[i.pk for i in page])
    rows = [(inv, figures.get(inv.pk)) for inv in page]
    audit_list_read(request, category="invoice", client_ids=[i.client_id for i in page],
                    detail={"list": status or "all", "total": page.paginator.count})
    return render(request, "invoices/list.html", {
        "page": page, "rows": rows, "status": status, "kind": filters["kind"],
        "form": form, "tabs": tabs, "filtered": any(
            v for k, v in filters.items() if k != "status"),
        "statuses": InvoiceStatus.choices, "kinds": InvoiceKind.choices,
        "counts": {t.status: t.count for t in tabs if t.status},
    })


CSV_HEADER = ["number", "client", "kind", "status", "issue_date", "due_date", "total", "paid",
              "balance"]


def _cell(text: str) -> str:
    # A name typed as "=HYPERLINK(…)" must not run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@require_GET
@practice_required(roles=BILLING_ROLES)
def invoices_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered (status tab included), every page, as CSV."""
    _form, filters = _filtered(request)
    qs = invoice_list(practice=request.practice, **filters)
    client_ids = sorted(set(qs.values_list("client_id", flat=True)))
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="invoice", client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"export": "csv", "count": qs.count(), "client_ids": client_ids})
    today = practice_today(request.practice)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoices-{today}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    # a chunk of invoices at a time, each chunk's figures in one journal query
    for inv, fig in invoice_rows_with_figures(practice=request.practice, invoices=qs):
        writer.writerow([
            _cell(inv.number), _cell(f"{inv.client.last_name}, {inv.client.first_name}"),
            inv.get_kind_display(), inv.get_status_display(), inv.issue_date.isoformat(),
            inv.due_date.isoformat(), f"{fig.total:.2f}", f"{fig.paid:.2f}",
            f"{fig.balance:.2f}"])
    return response


@require_GET
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


# --- Create Standalone ------------------------------------------------------------------------
BLANK_ROWS = 3
MAX_ROWS = 50


def _posted_rows(request: HttpRequest) -> list[dict[str, str]]:
    try:
        n = int(request.POST.get("rows", BLANK_ROWS))
    except ValueError:
        n = BLANK_ROWS
    n = max(1, min(n, MAX_ROWS))
    return [{field: request.POST.get(f"line-{i}-{field}", "").strip()
             for field in ("description", "date", "amount")} for i in range(n)]


def _is_blank(row: dict[str, str]) -> bool:
    # the date is prefilled, so a row with only a date is an unused row
    return not row["description"] and not row["amount"]


@require_http_methods(["GET", "POST"])
@practice_required(roles=BILLING_ROLES)
def invoice_standalone_new(request: HttpRequest) -> HttpResponse:
    today = practice_today(request.practice).isoformat()
    clients = list(standalone_client_list(practice=request.practice))
    client_id = request.POST.get("client_id", request.GET.get("client", ""))
    errors: dict[str, str] = {}
    row_errors: dict[int, dict[str, str]] = {}
    if request.method == "POST":
        rows = _posted_rows(request)
        if "add_line" in request.POST:
            rows.append({"description": "", "date": today, "amount": ""})
        else:
            used = [(i, row) for i, row in enumerate(rows) if not _is_blank(row)]
            try:
                invoice = invoice_create_standalone(
                    practice=request.practice, client_id=client_id,
                    lines=[row for _i, row in used], ctx=AuditContext.from_request(request),
                    actor=request.user)
            except (DomainError, ValidationError) as exc:
                for key, message in error_messages(exc).items():
                    parts = key.split(".")
                    if parts[0] == "lines" and len(parts) == 3:
                        row_errors.setdefault(used[int(parts[1])][0], {})[parts[2]] = message
                    else:  # templates cannot read "__all__"
                        errors["general" if key == "__all__" else key] = message
            else:
                messages.success(request, f"Invoice {invoice.number} created as a Draft.")
                return redirect("invoices:detail", invoice.pk)
    else:
        rows = [{"description": "", "date": today, "amount": ""} for _ in range(BLANK_ROWS)]
    audit_list_read(request, category="demographics", client_ids=[c.pk for c in clients],
                    detail={"list": "standalone invoice client picker"})
    return render(request, "invoices/standalone_form.html", {
        "clients": clients, "client_id": str(client_id), "errors": errors,
        "rows": [(i, row, row_errors.get(i, {})) for i, row in enumerate(rows)],
        "row_count": len(rows), "today": today,
    }, status=422 if (errors or row_errors) else 200)


# --- settings ---------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@practice_required(roles=BILLING_ROLES)
def invoice_settings(request: HttpRequest) -> HttpResponse:
    current = invoice_settings_get(practice=request.practice)
    form = InvoiceSettingsForm(request.POST or None,
                               initial=InvoiceSettingsForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        try:
            invoice_settings_update(practice=request.practice, data=form.cleaned_data,
                                    ctx=AuditContext.from_request(request), actor=request.user)
        except (DomainError, ValidationError) as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Invoice settings saved.")
            return redirect("invoices:settings")
    return render(request, "invoices/settings.html", {"form": form, "current": current},
                  status=422 if form.errors else 200)
