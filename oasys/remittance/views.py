"""Billing → Payment Remittances: the ERA list, an ERA claim by claim, uploading an 835 by
hand, and creating the client's invoice for their share."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.csv_export import csv_date, csv_money, csv_response, csv_text
from oasys.core.errors import DomainError
from oasys.core.formats import money_text, payer_name_text
from oasys.core.models import AuditAction
from oasys.core.money import dollars_text
from oasys.core.permissions import practice_required
from oasys.core.timezones import practice_date, practice_today
from oasys.invoices.services import AlreadyInvoiced

from .forms import EraUploadForm
from .models import PaymentReview, Remittance, RemittanceStatus, ReviewStatus
from .selectors import (
    payment_review_get,
    payment_review_list,
    provider_adjustment_list,
    remittance_breakdown,
    remittance_claim_list,
    remittance_counts,
    remittance_get,
    remittance_list,
)
from .services import (
    RemittancePostingError,
    era_import,
    payment_review_resolve,
    remittance_claim_invoice_create,
    remittance_client_invoices_create,
    remittance_post_rest,
    remittance_reject,
)


def _list_filters(request: HttpRequest) -> dict:
    status = request.GET.get("status", "")
    if status not in RemittanceStatus.values:
        status = ""
    return {"status": status, "query": request.GET.get("q", "").strip()}


@practice_required("billing.work")
def remittances(request: HttpRequest) -> HttpResponse:
    filters = _list_filters(request)
    status = filters["status"]
    qs = remittance_list(practice=request.practice, **filters)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    counts = remittance_counts(practice=request.practice)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="remittance", detail={"list": status or "all",
                                                "count": page.paginator.count})
    return render(request, "remittance/list.html", {
        "page": page, "status": status, "q": request.GET.get("q", ""),
        "status_tabs": [(v, label, counts[v]) for v, label in RemittanceStatus.choices
                        if v != RemittanceStatus.RECEIVED],
        "reviews_open": payment_review_list(practice=request.practice,
                                            status=ReviewStatus.OPEN).count(),
    })


CSV_HEADER = ["payer", "payment_date", "payment_method", "check_eft_number", "amount",
              "claims", "unmatched_claims", "status", "received"]
METHODS = {"CHK": "Check", "ACH": "EFT"}


@require_GET
@practice_required("billing.work")
def remittances_export(request: HttpRequest) -> HttpResponse:
    """The ERA list as filtered (status tab and search), every page, as a streamed CSV."""
    filters = _list_filters(request)
    qs = remittance_list(practice=request.practice, **filters)
    # ERAs name payers, not clients; the export is still recorded (payment data leaves)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="remittance",
                 detail={"export": "csv", "list": filters["status"] or "all",
                         "count": qs.count()})
    rows = ([csv_text(payer_name_text(r.payer_name)), csv_date(r.payment_date),
             METHODS.get(r.payment_method, r.payment_method), csv_text(r.trace_number),
             csv_money(r.amount), str(r.claim_count), str(r.unmatched_count),
             r.get_status_display(), csv_date(practice_date(r.created_at, request.practice))]
            for r in qs.iterator(chunk_size=500))
    return csv_response(filename=f"eras-{practice_today(request.practice)}.csv",
                        header=CSV_HEADER, rows=rows)


@practice_required("billing.work")
def remittance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        remittance = remittance_get(practice=request.practice, pk=pk)
    except Remittance.DoesNotExist as exc:
        raise Http404 from exc
    claims = remittance_breakdown(practice=request.practice, remittance=remittance)
    audit_list_read(request, category="remittance", obj=remittance,
                    client_ids=[c.rc.client_id for c in claims],
                    detail={"claims": remittance.claim_count})
    return render(request, "remittance/detail.html", {
        "r": remittance,
        "claims": claims,
        "plbs": provider_adjustment_list(remittance=remittance),
        "held": remittance.status == RemittanceStatus.DAMAGED,
        # Claims that leave the client a share not invoiced yet: one button invoices them all.
        "to_invoice": [c for c in claims if not c.invoice_id and c.pending_share > 0],
    })


@require_POST
@practice_required("billing.work")
def remittance_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A biller's decision on an ERA held for damaged claims: post the rest or reject it."""
    try:
        remittance = remittance_get(practice=request.practice, pk=pk)
    except Remittance.DoesNotExist as exc:
        raise Http404 from exc
    action = request.POST.get("action", "")
    ctx = AuditContext.from_request(request)
    try:
        if action == "post_rest":
            outcome = remittance_post_rest(remittance=remittance, ctx=ctx, actor=request.user)
            messages.success(request, outcome.message)
        elif action == "reject":
            remittance_reject(remittance=remittance, reason=request.POST.get("reason", ""),
                              ctx=ctx, actor=request.user)
            messages.success(request, "File rejected; nothing was posted.")
        else:
            messages.error(request, "Choose to post the rest or to reject the file.")
    except DomainError as exc:  # nothing posted: the message says why
        messages.error(request, exc.message)
    return redirect("remittance:detail", pk=remittance.pk)


@practice_required("billing.work")
def remittance_upload(request: HttpRequest) -> HttpResponse:
    form = EraUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = era_import(practice=request.practice, raw=form.cleaned_data["file"],
                                ctx=AuditContext.from_request(request), actor=request.user,
                                encoding_warnings=form.encoding_warnings)
        except RemittancePostingError as exc:
            messages.error(request, str(exc))
            return redirect("remittance:upload")
        level = messages.ERROR if result.refused and not result.posted_any else (
            messages.WARNING if result.refused else messages.SUCCESS)
        for line in result.lines():
            messages.add_message(request, level, line)
        first = next((o.remittance for o in result.outcomes if o.remittance), None)
        if first is not None and len(result.outcomes) == 1:
            return redirect("remittance:detail", pk=first.pk)
        return redirect("remittance:list")
    return render(request, "remittance/upload.html", {"form": form})


@require_POST
@practice_required("billing.work")
def remittance_claim_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    rc = get_object_or_404(remittance_claim_list(practice=request.practice), pk=pk)
    try:
        invoice = remittance_claim_invoice_create(
            practice=request.practice, remittance_claim=rc,
            ctx=AuditContext.from_request(request), actor=request.user)
    except AlreadyInvoiced:
        messages.info(request, "This client share is already invoiced.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Draft invoice {invoice.number} created for "
                                  f"{dollars_text(invoice.total)}.")
    return redirect("remittance:detail", pk=rc.remittance_id)


@require_POST
@practice_required("billing.work")
def remittance_invoice_client_shares(request: HttpRequest, pk: int) -> HttpResponse:
    """"Invoice the client share for all N claims": a Draft invoice for each claim of this
    ERA that leaves the client a share not invoiced yet (the per-claim service, once per
    claim). Pressing it again creates nothing new."""
    try:
        remittance = remittance_get(practice=request.practice, pk=pk)
    except Remittance.DoesNotExist as exc:
        raise Http404 from exc
    created = remittance_client_invoices_create(
        practice=request.practice, remittance=remittance,
        ctx=AuditContext.from_request(request), actor=request.user)
    if created:
        total = sum((invoice.total for invoice in created), Decimal("0"))
        n = len(created)
        messages.success(request, f"Created {n} draft invoice{'s' if n != 1 else ''} for the "
                                  f"client share, {money_text(total)} in all. Send them from "
                                  "Manage Invoices.")
    else:
        messages.info(request, "Every client share of this ERA is already invoiced: nothing "
                               "new was created.")
    return redirect("remittance:detail", pk=remittance.pk)


@practice_required("billing.work")
def payment_reviews(request: HttpRequest) -> HttpResponse:
    """Payment Remittances → Review: claim payments not posted because their claim was
    Closed or Voided, waiting for a biller to post or dismiss them."""
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status not in ReviewStatus.values:
        status = ""
    page = Paginator(payment_review_list(practice=request.practice, status=status),
                     50).get_page(request.GET.get("page"))
    audit_list_read(request, category="remittance",
                    client_ids=[r.remittance_claim.client_id for r in page],
                    detail={"list": f"review:{status or 'all'}",
                            "total": page.paginator.count})
    return render(request, "remittance/review.html", {
        "page": page, "status": status, "statuses": ReviewStatus.choices})


@require_POST
@practice_required("billing.work")
def payment_review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        review = payment_review_get(practice=request.practice, pk=pk)
    except PaymentReview.DoesNotExist as exc:
        raise Http404 from exc
    action = request.POST.get("action", "")
    try:
        payment_review_resolve(review=review, action=action, note=request.POST.get("note", ""),
                               ctx=AuditContext.from_request(request), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Payment posted to the claim." if action == "post"
                         else "Payment dismissed; nothing was posted.")
    if request.POST.get("next") == "era":
        return redirect("remittance:detail", pk=review.remittance_claim.remittance_id)
    return redirect("remittance:reviews")
