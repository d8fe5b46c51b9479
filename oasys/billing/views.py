"""Billing → Bill Sessions: Ready and Incomplete tabs, and billing the selected sessions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from oasys.core.audit import AuditContext, audit_list_read
from oasys.core.permissions import has_permission, practice_required
from oasys.core.text import parse_id

from .forms import QueueFilterForm
from .selectors import queue_get, reasons_linked, submission_sending_list
from .services import billing_submit, billing_submit_matching

PAGE_SIZE = 50


@practice_required("billing.queue")
def queue(request: HttpRequest) -> HttpResponse:
    tab = "incomplete" if request.GET.get("tab") == "incomplete" else "ready"
    form = QueueFilterForm(request.GET or None, practice=request.practice)
    q = queue_get(practice=request.practice, filters=form.filters())
    items = q.incomplete if tab == "incomplete" else q.ready
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    # A fix-it link brings the person back to this very list (tab, filters, page) once
    # they have fixed what it names.
    here = request.get_full_path()
    rows = [{"item": item, "reasons": reasons_linked(item, back=here)}
            for item in page.object_list]
    audit_list_read(request, category="billing_queue",
                    client_ids=[row["item"].appointment.client_id for row in rows],
                    detail={"tab": tab, "total": len(items)})
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("tab", None)
    # "What is missing" narrows by reason within the same filters (a client, a clinician…).
    reason_params = params.copy()
    reason_params.pop("reason", None)
    return render(request, "billing/queue.html", {
        "tab": tab,
        "form": form,
        "page": page,
        "rows": rows,
        "ready_count": len(q.ready),
        "incomplete_count": len(q.incomplete),
        "reason_counts": q.reason_counts,
        "filter_query": params.urlencode(),
        # The filters again as hidden fields, for "Select all N matching" (reason is an
        # Incomplete-tab filter only).
        "filter_fields": [(k, v) for k, values in reason_params.lists() for v in values
                          if k in QueueFilterForm.base_fields and v],
        "reason_filter_query": reason_params.urlencode(),
        "can_bill": has_permission(request.user, "billing.work"),
        # "Just billed" names claims and invoices: for those who bill
        **(_sending_context(request) if has_permission(request.user, "billing.work") else {}),
    })


def _sending_context(request: HttpRequest) -> dict:
    rows = submission_sending_list(practice=request.practice)
    if rows:  # the panel polls every few seconds: record only what it disclosed
        audit_list_read(request, category="billing_sending",
                        client_ids=[c.client_id for row in rows for c in row.claims],
                        detail={"submissions": [row.submission.pk for row in rows]})
    return {"sending": rows, "any_being_sent": any(row.being_sent for row in rows)}


@practice_required("billing.work")
def sending(request: HttpRequest) -> HttpResponse:
    """The "Just billed" panel alone, which the page polls while claims are being sent."""
    return render(request, "billing/_sending.html", _sending_context(request))


@require_POST
@practice_required("billing.work")
def submit(request: HttpRequest) -> HttpResponse:
    ids = [i for i in (parse_id(v) for v in request.POST.getlist("session")) if i is not None]
    all_matching = request.POST.get("all_matching") == "1"
    back = reverse("billing:queue")
    if all_matching:
        # "Select all N matching": the filters come back with the form; the server works
        # out the Ready set again from them (never trusting a list of ids from the page).
        form = QueueFilterForm(request.POST, practice=request.practice)
        if not form.is_valid():
            messages.error(request, "The filters changed or are not valid: nothing was billed. "
                                    "Check them and select again.")
            return redirect(back)
        query = form.query_string()
        back = f"{back}?{query}" if query else back
        result = billing_submit_matching(
            practice=request.practice, filters=form.filters(), also_ids=ids,
            expected=parse_id(request.POST.get("expected")),
            ctx=AuditContext.from_request(request), actor=request.user,
        )
        if not result.matching and not result.skipped:
            messages.info(request, "No session matching these filters is Ready any more: "
                                   "nothing was billed.")
            return redirect(back)
    elif not ids:
        messages.error(request, "Select at least one session to bill.")
        return redirect("billing:queue")
    else:
        result = billing_submit(
            practice=request.practice, appointment_ids=ids,
            ctx=AuditContext.from_request(request), actor=request.user,
        )
    if result.claims:
        # The claims are queued (Submitted) and sent after this answer; "Just billed" shows them
        # being sent, then their status.
        messages.success(request, f"Submitted {len(result.claims)} claim(s) to the clearinghouse: "
                                  "they are being sent.")
    if result.claims_failed:
        messages.error(
            request,
            f"{len(result.claims_failed)} claim(s) could not be built: {result.submission_error} "
            "They are in Manage Claims, ready to retry.",
        )
    if result.invoices:
        # Delivered after this answer (Stripe, then the email): Manage Invoices shows them
        # Sending, then Open (or Paid by the card on file).
        messages.success(request, f"Sent {len(result.invoices)} invoice(s): each client is "
                                  "emailed their invoice.")
    for invoice, why in result.invoices_unsent:
        messages.warning(request, f"Invoice {invoice.number} was created but not sent: {why} "
                                  "It is a draft in Manage Invoices.")
    for session_id, why in result.skipped:
        messages.warning(request, f"Session {session_id} was not billed: {why}")
    return redirect(back)
