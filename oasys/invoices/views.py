"""Billing → Manage Invoices: every invoice with its status, kind and lines; tabs per status
with their counts and the journal's totals, filters, search and a CSV export; Create
Standalone; the practice's invoice settings.

An invoice's page shows everything that happened to it and offers what its status allows
(the invoice machine's actions): each action is a POST that calls its service (sending,
charging, actions) and comes back to the page with a message; a refusal is shown, never
a 500. The client page's Billing panel is served from here (clients may not read invoices)."""

from __future__ import annotations

import datetime as dt
import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clients.models import Client
from oasys.clients.phi import phi_read
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.csv_export import csv_date, csv_money, csv_response, csv_text
from oasys.core.errors import DomainError
from oasys.core.feedback import (
    NON_FIELD,
    error_messages,
    error_text,
    form_add_errors,
    refusals_as_messages,
)
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required
from oasys.core.selectors import sent_email_list
from oasys.core.timezones import practice_date, practice_today, practice_zone
from oasys.ledger.selectors import client_balance, invoice_figures
from oasys.payments.card_selectors import client_card_get

from .actions import (
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_request_payment_method,
    invoice_void,
)
from .charging import card_charge_refusal, invoice_card_charge
from .forms import (
    InvoiceFilterForm,
    InvoiceSettingsForm,
    MarkUncollectibleForm,
    RecordPaymentForm,
    RefundForm,
    RequestPaymentMethodForm,
    VoidForm,
)
from .machine import INVOICE_MACHINE
from .models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceStatus,
    PaymentMethod,
    RefundStatus,
)
from .pdf import receipt_pdf
from .selectors import (
    InvoiceMoney,
    client_invoice_list,
    client_payment_list,
    invoice_attempt_list,
    invoice_event_list,
    invoice_get,
    invoice_journal_entry_list,
    invoice_list,
    invoice_money,
    invoice_payment_get,
    invoice_payment_list,
    invoice_refund_list,
    invoice_rows_with_figures,
    invoice_settings_get,
    invoice_status_totals,
    standalone_client_list,
)
from .sending import invoice_resend, invoice_send
from .services import invoice_create_standalone, invoice_settings_update

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[InvoiceFilterForm, dict]:
    form = InvoiceFilterForm(request.GET or None, practice=request.practice)
    return form, (form.filters() if request.GET else InvoiceFilterForm.EMPTY)


@require_GET
@practice_required("billing.work")
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


@require_GET
@practice_required("billing.work")
def invoices_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered (status tab included), every page, as a streamed CSV."""
    _form, filters = _filtered(request)
    qs = invoice_list(practice=request.practice, **filters)
    client_ids = sorted(set(qs.values_list("client_id", flat=True)))
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="invoice", client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"export": "csv", "count": qs.count(), "client_ids": client_ids})
    today = practice_today(request.practice)
    # a chunk of invoices at a time, each chunk's figures in one journal query
    rows = ([csv_text(inv.number), csv_text(f"{inv.client.last_name}, {inv.client.first_name}"),
             inv.get_kind_display(), inv.get_status_display(), csv_date(inv.issue_date),
             csv_date(inv.due_date), csv_money(fig.total), csv_money(fig.paid),
             csv_money(fig.balance)]
            for inv, fig in invoice_rows_with_figures(practice=request.practice, invoices=qs))
    return csv_response(filename=f"invoices-{today}.csv", header=CSV_HEADER, rows=rows)


def _invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    invoice = invoice_get(practice=request.practice, invoice_id=pk)
    if invoice is None:
        raise Http404("No such invoice")
    return invoice


@require_GET
@practice_required("billing.work")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The invoice's page: lines, the journal's figures, status history, emails sent, card
    attempts, payments, refunds and journal entries, and the actions its status allows."""
    invoice = _invoice_or_404(request, pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="invoice", client_id=invoice.client_id, object_type="Invoice",
                 object_id=invoice.pk)
    return render(request, "invoices/detail.html", _detail_context(request, invoice))


def _detail_context(request: HttpRequest, invoice: Invoice, **forms_given) -> dict:
    payments = list(invoice_payment_list(invoice=invoice))
    figures = invoice_money(practice=request.practice, invoice=invoice)
    return {
        "invoice": invoice, "lines": invoice.lines.select_related("appointment"),
        "events": invoice_event_list(invoice=invoice),
        "figures": figures,
        "emails": sent_email_list(practice=request.practice, object_type="Invoice",
                                  object_id=invoice.pk),
        "attempts": invoice_attempt_list(invoice=invoice),
        "payments": payments,
        "refunds": invoice_refund_list(invoice=invoice),
        "entries": invoice_journal_entry_list(invoice=invoice),
        **_action_context(request, invoice, payments, figures, forms_given),
    }


@require_GET
@practice_required("billing.work")
def invoice_payment_receipt(request: HttpRequest, pk: int, payment_pk: int) -> HttpResponse:
    """The receipt of one payment as a PDF (the one the receipt email attaches), recorded as
    an export of the client's data."""
    invoice = _invoice_or_404(request, pk)
    payment = invoice_payment_get(invoice=invoice, payment_id=payment_pk)
    if payment is None:
        raise Http404("No such payment")
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="invoice_payment", client_id=invoice.client_id,
                 object_type="InvoicePayment", object_id=payment.pk,
                 detail={"format": "pdf", "invoice": invoice.pk})
    # the words of the receipt email (receipts.py)
    method = (f"{payment.card_brand.title()} ending in {payment.card_last4}"
              if payment.card_brand and payment.card_last4 else payment.get_method_display())
    # a payment taken by hand is dated the day it was received, not the day it was typed in
    moment = payment.created_at
    if practice_date(moment, invoice.practice) != payment.received_on:
        moment = dt.datetime.combine(payment.received_on, dt.time(12),
                                     tzinfo=practice_zone(invoice.practice))
    pdf = receipt_pdf(invoice=invoice, payment_amount=payment.amount, paid_at=moment,
                      method=method, reference=payment.reference)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="receipt-{invoice.number}-{payment.pk}.pdf"')
    return response


@require_GET
@practice_required("billing.work")
def client_invoices_panel(request: HttpRequest, client_pk: int) -> HttpResponse:
    """The Billing panel of a client's page (loaded there by htmx: clients may not read
    invoices or payments): the client's invoices, payments, balance, card on file and
    autopay consent."""
    client = Client.objects.filter(practice=request.practice, pk=client_pk).first()
    if client is None:
        raise Http404("No such client")
    invoices = list(client_invoice_list(practice=request.practice, client_id=client.pk))
    figures = invoice_figures(practice=request.practice, invoice_ids=[i.pk for i in invoices])
    phi_read(request, categories=["invoice", "payment"], client_id=client.pk,
             object_type="Client", object_id=client.pk)
    return render(request, "invoices/_client_panel.html", {
        "client": client,
        "rows": [(i, figures[i.pk]) for i in invoices],
        "payments": client_payment_list(practice=request.practice, client_id=client.pk)[:20],
        "balance": client_balance(practice=request.practice, client_id=client.pk),
        "card": client_card_get(client=client),
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
@practice_required("billing.work")
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
@practice_required("billing.work")
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


# --- the invoice page's actions -----------------------------------------------------------------
def _action_context(request: HttpRequest, invoice: Invoice, payments: list[InvoicePayment],
                    figures: InvoiceMoney, given: dict) -> dict:
    """What the page offers: the machine's allowed actions, the card charge when one may be
    tried, and a fresh form (with a fresh token) for each action that takes input, unless the
    one just posted comes back with its errors."""
    allowed = INVOICE_MACHINE.allowed_action_names(invoice)
    charge_refusal = (card_charge_refusal(invoice=invoice, trigger=AttemptTrigger.STAFF)
                      if allowed & {"record_payment"} else "")
    today = practice_today(request.practice)
    return {
        "allowed": allowed,
        "can_charge": bool(allowed & {"record_payment"}) and charge_refusal == "",
        "charge_refusal": charge_refusal,
        "open_form": next(iter(given), ""),
        "payment_form": given.get("record_payment") or RecordPaymentForm(initial={
            "token": uuid.uuid4(), "received_on": today, "method": PaymentMethod.CASH,
            "amount": figures.balance if figures.balance > 0 else ""}),
        "refund_form": given.get("refund") or RefundForm(payments=payments, initial={
            "token": uuid.uuid4(), "amount": figures.paid if figures.paid > 0 else ""}),
        "uncollectible_form": given.get("mark_uncollectible") or MarkUncollectibleForm(),
        "void_form": given.get("void") or VoidForm(),
        "card_request_form": RequestPaymentMethodForm(),
    }


def _back(invoice: Invoice) -> HttpResponse:
    return redirect("invoices:detail", invoice.pk)


def _again(request: HttpRequest, invoice: Invoice, name: str, form: forms.Form) -> HttpResponse:
    """The page again with the posted form and its errors (nothing was done)."""
    return render(request, "invoices/detail.html",
                  _detail_context(request, invoice, **{name: form}), status=422)


def _refused(request: HttpRequest, invoice: Invoice, name: str, form: forms.Form,
             exc: DomainError | ValidationError, *, prefix: str) -> HttpResponse:
    """A refusal about a field goes beside it on the page again; one about the invoice (its
    status, a payment no longer there) is a message on the page, as the other actions'."""
    if set(error_messages(exc)) - {NON_FIELD}:
        form_add_errors(form, exc)
        return _again(request, invoice, name, form)
    messages.error(request, f"{prefix}{error_text(exc)}")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    with refusals_as_messages(request, prefix="Not sent: ") as done:
        invoice = invoice_send(invoice=invoice, ctx=AuditContext.from_request(request),
                               actor=request.user, source="staff")
    if done:
        messages.success(request, f"Invoice {invoice.number} is being sent to "
                                  f"{invoice.client.email or 'the client'}.")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    with refusals_as_messages(request, prefix="No reminder sent: ") as done:
        email = invoice_resend(invoice=invoice, ctx=AuditContext.from_request(request),
                               actor=request.user)
    if done:
        messages.success(request, f"Payment reminder emailed to {email.to}.")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        return _again(request, invoice, "void", form)
    with refusals_as_messages(request, prefix="Not voided: ") as done:
        invoice_void(invoice=invoice, ctx=AuditContext.from_request(request),
                     actor=request.user, reason=form.cleaned_data["reason"], source="staff")
    if done:
        messages.success(request, f"Invoice {invoice.number} voided.")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_mark_uncollectible_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = MarkUncollectibleForm(request.POST)
    if not form.is_valid():
        return _again(request, invoice, "mark_uncollectible", form)
    with refusals_as_messages(request, prefix="Not marked uncollectible: ") as done:
        invoice_mark_uncollectible(invoice=invoice, ctx=AuditContext.from_request(request),
                                   actor=request.user, reason=form.cleaned_data["reason"],
                                   source="staff")
    if done:
        messages.success(request, f"Invoice {invoice.number} marked uncollectible.")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_record_payment_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = RecordPaymentForm(request.POST)
    if not form.is_valid():
        return _again(request, invoice, "record_payment", form)
    data = form.cleaned_data
    try:  # the service reads the amount as typed and says what is wrong with it
        payment = invoice_record_payment(
            invoice=invoice, amount=data["amount"], method=data["method"],
            received_on=data["received_on"], reference=data["reference"], note=data["note"],
            token=str(data["token"]), ctx=AuditContext.from_request(request),
            actor=request.user)
    except (DomainError, ValidationError) as exc:
        return _refused(request, invoice, "record_payment", form, exc,
                        prefix="No payment recorded: ")
    messages.success(request, f"{payment.get_method_display()} payment of ${payment.amount} "
                              f"recorded.")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_refund_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = RefundForm(request.POST, payments=invoice_payment_list(invoice=invoice))
    if not form.is_valid():
        return _again(request, invoice, "refund", form)
    data = form.cleaned_data
    try:
        refund = invoice_refund(
            invoice=invoice, amount=data["amount"], reason=data["reason"], token=str(data["token"]),
            ctx=AuditContext.from_request(request), actor=request.user,
            payment_id=data["payment_id"])
    except (DomainError, ValidationError) as exc:
        return _refused(request, invoice, "refund", form, exc, prefix="No refund: ")
    if refund.status == RefundStatus.FAILED:
        messages.error(request, f"The refund of ${refund.amount} failed: {refund.error}")
    else:
        messages.success(request, f"Refund of ${refund.amount} "
                                  f"{refund.get_status_display().lower()}.")
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_request_payment_method_view(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice_or_404(request, pk)
    form = RequestPaymentMethodForm(request.POST)
    charge = form.is_valid() and form.cleaned_data["charge_open_invoices"]
    with refusals_as_messages(request, prefix="No link sent: ") as done:
        invoice_request_payment_method(invoice=invoice, ctx=AuditContext.from_request(request),
                                       actor=request.user, charge_open_invoices=charge)
    if done:
        messages.success(request, "A link to save a card was emailed to the client"
                                  + ("; the open invoices are charged once it is saved."
                                     if charge else "."))
    return _back(invoice)


@require_POST
@practice_required("billing.work")
def invoice_charge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Charge card on file, now."""
    invoice = _invoice_or_404(request, pk)
    with refusals_as_messages(request, prefix="Not charged: ") as done:
        attempt = invoice_card_charge(invoice=invoice, trigger=AttemptTrigger.STAFF,
                                      ctx=AuditContext.from_request(request),
                                      actor=request.user)
    if done:
        card = f"{attempt.card_brand or 'card'} ending {attempt.card_last4}".strip()
        if attempt.outcome == AttemptOutcome.SUCCEEDED:
            messages.success(request, f"Charged ${attempt.amount} to the {card}.")
        elif attempt.outcome == AttemptOutcome.AUTHENTICATION_REQUIRED:
            messages.warning(request, "The bank asks the client to confirm this payment; "
                                      "they were emailed a link to do so.")
        elif attempt.outcome == AttemptOutcome.PENDING:
            messages.info(request, "The charge is in progress.")
        else:
            messages.error(request, f"The {card} was not charged: "
                                    f"{attempt.reason or attempt.get_outcome_display()}")
    return _back(invoice)
