"""Bulk send and resend on Manage Invoices: the ticked invoices become a batch (bulk.py) and
the batch page shows its progress, polled by htmx while the worker runs, and the items that
failed with the reason."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from oasys.core.audit import AuditContext, audit_list_read
from oasys.core.errors import DomainError
from oasys.core.feedback import error_text
from oasys.core.permissions import practice_required

from .bulk import invoice_batch_resume, invoice_batch_start
from .bulk_selectors import (
    invoice_batch_failures,
    invoice_batch_get,
    invoice_batch_progress,
)
from .models import BatchAction, InvoiceBatch

FAILURES_SHOWN = 200
SKIPS_NAMED = 10


def _list_url(request: HttpRequest) -> str:
    """Back to Manage Invoices as it was filtered (only its own filter fields go back)."""
    keep = {k: request.POST[k] for k in ("status", "q", "client", "kind", "issued_from",
                                         "issued_to", "page") if request.POST.get(k)}
    return reverse("invoices:list") + (f"?{urlencode(keep)}" if keep else "")


@require_POST
@practice_required("billing.work")
def batch_start(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        batch = invoice_batch_start(practice=request.practice,
                                    invoice_ids=request.POST.getlist("invoice"), action=action,
                                    ctx=AuditContext.from_request(request), actor=request.user)
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect(_list_url(request))
    verb = "Sending" if batch.action == BatchAction.SEND else "Sending reminders for"
    messages.success(request, f"{verb} {batch.total} invoice(s).")
    skipped = batch.skipped
    if skipped:
        named = "; ".join(f"{s.number}: {s.reason}" if s.number else s.reason
                          for s in skipped[:SKIPS_NAMED])
        more = f" (and {len(skipped) - SKIPS_NAMED} more)" if len(skipped) > SKIPS_NAMED else ""
        messages.warning(request, f"Skipped {len(skipped)} invoice(s): {named}{more}.")
    return redirect("invoices:batch", batch.pk)


def _batch_or_404(request: HttpRequest, pk: int) -> InvoiceBatch:
    try:
        return invoice_batch_get(practice=request.practice, batch_id=pk)
    except InvoiceBatch.DoesNotExist:
        raise Http404("No such batch") from None


def _context(request: HttpRequest, batch: InvoiceBatch) -> dict:
    """The counts; and once the batch is finished (the polling has stopped) the items that
    failed. A reason may name the client ("… has no email address"), so showing them is an
    audited read of those clients, recorded once per page shown rather than every second."""
    progress = invoice_batch_progress(batch=batch)
    failures = (list(invoice_batch_failures(batch=batch)[:FAILURES_SHOWN])
                if progress.finished else [])
    if failures:
        audit_list_read(request, category="invoice",
                        client_ids=[item.invoice.client_id for item in failures],
                        detail={"list": "bulk batch failures", "batch": batch.pk})
    return {"batch": batch, "progress": progress, "failures": failures,
            "more_failures": max(0, batch.failed - FAILURES_SHOWN)}


@require_GET
@practice_required("billing.work")
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "invoices/_bulk_batch.html",
                  _context(request, _batch_or_404(request, pk)))


@require_GET
@practice_required("billing.work")
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone, which the batch page polls until the batch is finished."""
    return render(request, "invoices/_bulk_progress.html",
                  _context(request, _batch_or_404(request, pk)))


@require_POST
@practice_required("billing.work")
def batch_resume(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    invoice_batch_resume(practice=request.practice, batch_id=batch.pk,
                         ctx=AuditContext.from_request(request))
    messages.info(request, "The batch is queued again: invoices already done are not "
                           "sent twice.")
    return redirect("invoices:batch", batch.pk)
