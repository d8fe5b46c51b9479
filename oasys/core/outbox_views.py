"""Billing → Outbox: every email the practice sent clients, as they received it, so a new
user sees what an invoice or a reminder looks like on the client's side and staff can
answer "did they get it?". Owner and biller only; each page view is an audited PHI read
(addresses and bodies are the client's)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from .audit import AuditContext, audit_list_read, audit_record
from .feedback import refusals_as_messages
from .models import AuditAction, SentEmailStatus
from .outbound_mail import SENT_EMAIL_MACHINE, sent_email_retry
from .permissions import practice_required
from .selectors import sent_email_list

PAGE_SIZE = 50

# What an email is about, linked to its page. URL names only: core sits below the apps
# that own these objects and imports none of them.
OBJECT_PAGES = {"Invoice": "invoices:detail"}


def _object_url(object_type: str, object_id: str) -> str:
    name = OBJECT_PAGES.get(object_type)
    if not name or not object_id.isdigit():
        return ""
    try:
        return reverse(name, args=[int(object_id)])
    except NoReverseMatch:
        return ""


@practice_required("billing.work")
def outbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = sent_email_list(practice=request.practice)
    if status in SentEmailStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs.defer("text_body", "html_body"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    audit_list_read(request, category="email", client_ids=[e.client_id for e in page],
                    detail={"list": "outbox", "status": status or "all",
                            "total": page.paginator.count})
    return render(request, "core/outbox/list.html", {
        "page": page, "status": status, "statuses": SentEmailStatus.choices,
        "querystring": f"status={status}" if status else "",
    })


@practice_required("billing.work")
def outbox_email(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(sent_email_list(practice=request.practice), pk=pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="email", client_id=email.client_id, object_type="SentEmail",
                 object_id=email.pk)
    return render(request, "core/outbox/detail.html", {
        "email": email, "events": email.events.select_related("actor"),
        "object_url": _object_url(email.object_type, email.object_id),
        "can_retry": SENT_EMAIL_MACHINE.can(email.status, SentEmailStatus.QUEUED),
    })


@require_POST
@practice_required("billing.work")
def outbox_email_retry(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_object_or_404(sent_email_list(practice=request.practice), pk=pk)
    with refusals_as_messages(request) as done:
        sent_email_retry(sent_email=email, ctx=AuditContext.from_request(request))
    if done:
        messages.success(request, "The email is queued to be sent again.")
    return redirect("outbox:detail", pk=email.pk)
