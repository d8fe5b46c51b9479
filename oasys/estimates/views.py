"""The client's "Good-faith estimates" page (list, download, email, void) and the "Issue
estimate" form, under /billing/clients/<pk>/estimates/ beside the client's other pages.
Thin: parse, call a service or selector, audit what is shown, render."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clients.models import Client
from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.feedback import error_messages
from oasys.core.models import SentEmail
from oasys.core.permissions import practice_required
from oasys.core.text import parse_id
from oasys.core.timezones import practice_today
from oasys.practice.models import ServiceType

from .models import Frequency, GoodFaithEstimate
from .pdf_views import estimate_pdf_response
from .selectors import estimate_list
from .services import (
    MAX_LINES,
    estimate_email,
    estimate_issue,
    estimate_lines_propose,
    estimate_refusal,
    estimate_void,
    year_after,
)

FIELDS = ("cpt_code", "description", "quantity", "unit_cost")
BLANK_ROWS = 1


def _client(request: HttpRequest, pk: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=pk)


def _estimate(request: HttpRequest, client: Client, gfe_pk: int) -> GoodFaithEstimate:
    return get_object_or_404(estimate_list(practice=request.practice, client=client),
                             pk=gfe_pk)


@require_GET
@practice_required("billing.work")
def estimate_client_list(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    estimates = list(estimate_list(practice=request.practice, client=client))
    emailed = set(SentEmail.objects.filter(
        practice=request.practice, object_type="GoodFaithEstimate",
        object_id__in=[str(e.pk) for e in estimates]).values_list("object_id", flat=True))
    phi_read(request, categories=["estimate"], client_id=client.pk,
             object_type="Client", object_id=client.pk)
    return render(request, "estimates/list.html", {
        "client": client, "tab": "estimates", "refusal": estimate_refusal(client=client),
        "rows": [(e, str(e.pk) in emailed) for e in estimates],
    })


def _posted_rows(request: HttpRequest) -> list[dict[str, str]]:
    try:
        n = int(request.POST.get("rows", BLANK_ROWS))
    except ValueError:
        n = BLANK_ROWS
    n = max(1, min(n, MAX_LINES))
    return [{field: request.POST.get(f"line-{i}-{field}", "").strip() for field in FIELDS}
            for i in range(n)]


def _blank(row: dict[str, str]) -> bool:
    return not any(row.values())


def _day(value: str, fallback: date) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return fallback


@require_http_methods(["GET", "POST"])
@practice_required("billing.work")
def estimate_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    practice = request.practice
    refusal = estimate_refusal(client=client)
    data = request.POST if request.method == "POST" else request.GET
    today = practice_today(practice)
    year_on = year_after(today)
    start_text = data.get("period_start", today.isoformat())
    end_text = data.get("period_end", (year_on - timedelta(days=1)).isoformat())
    frequency = data.get("frequency", Frequency.WEEKLY)
    if frequency not in Frequency.values:
        frequency = Frequency.WEEKLY
    service_type_id = parse_id(data.get("service_type"))
    errors: dict[str, str] = {}
    row_errors: dict[int, dict[str, str]] = {}
    status = 200
    rows: list[dict[str, str]] = []
    if request.method == "POST" and "issue" in request.POST and not refusal:
        rows = _posted_rows(request)
        used = [(i, row) for i, row in enumerate(rows) if not _blank(row)]
        try:
            with transaction.atomic():  # issued and emailed together, or neither
                estimate = estimate_issue(
                    practice=practice, client=client, period_start=start_text,
                    period_end=end_text, lines=[row for _i, row in used],
                    diagnosis_codes=request.POST.get("diagnosis_codes", ""),
                    ctx=AuditContext.from_request(request))
                if request.POST.get("email"):
                    estimate_email(estimate=estimate, ctx=AuditContext.from_request(request))
        except (DomainError, ValidationError) as exc:
            for key, message in error_messages(exc).items():
                parts = key.split(".")
                if parts[0] == "lines" and len(parts) == 3:
                    row_errors.setdefault(used[int(parts[1])][0], {})[parts[2]] = message
                else:  # templates cannot read "__all__"
                    errors["general" if key == "__all__" else key] = message
            status = 422
        else:
            sent = " and emailed to the client" if request.POST.get("email") else ""
            messages.success(request, f"Good-faith estimate {estimate.number} issued{sent}.")
            return redirect("estimates:list", client.pk)
    elif request.method == "POST" and "add_line" in request.POST:
        rows = [*_posted_rows(request), dict.fromkeys(FIELDS, "")]
    elif not refusal:
        # the proposal: first visit, or "Propose lines" after changing period or frequency
        start = _day(start_text, today)
        end = _day(end_text, year_on - timedelta(days=1))
        try:
            rows = [p.as_row() for p in estimate_lines_propose(
                practice=practice, client=client, period_start=start,
                period_end=max(start, end), frequency=frequency,
                service_type_id=service_type_id)]
        except DomainError as exc:
            errors.update(error_messages(exc))
    if not rows:
        rows = [dict.fromkeys(FIELDS, "")]
    if refusal:
        status = 409 if request.method == "POST" else 200
    # the page shows the client's name and prices: a read of their billing data
    phi_read(request, categories=["estimate"], client_id=client.pk, object_type="Client",
             object_id=client.pk)
    return render(request, "estimates/form.html", {
        "client": client, "tab": "estimates", "refusal": refusal, "errors": errors,
        "rows": [(i, row, row_errors.get(i, {})) for i, row in enumerate(rows)],
        "row_count": len(rows), "period_start": start_text, "period_end": end_text,
        "frequency": frequency, "frequencies": Frequency.choices,
        "service_types": ServiceType.objects.filter(practice=practice, is_active=True),
        "service_type_id": service_type_id,
        "diagnosis_codes": data.get("diagnosis_codes", ""),
    }, status=status)


@require_GET
@practice_required("billing.work")
def estimate_pdf_download(request: HttpRequest, pk: int, gfe_pk: int) -> HttpResponse:
    estimate = _estimate(request, _client(request, pk), gfe_pk)
    return estimate_pdf_response(estimate=estimate, ctx=AuditContext.from_request(request))


@require_POST
@practice_required("billing.work")
def estimate_email_send(request: HttpRequest, pk: int, gfe_pk: int) -> HttpResponse:
    client = _client(request, pk)
    estimate = _estimate(request, client, gfe_pk)
    try:
        estimate_email(estimate=estimate, ctx=AuditContext.from_request(request))
    except DomainError as exc:
        for message in error_messages(exc).values():
            messages.error(request, message)
    else:
        messages.success(request, f"Estimate {estimate.number} emailed to the client.")
    return redirect("estimates:list", client.pk)


@require_POST
@practice_required("billing.work")
def estimate_void_view(request: HttpRequest, pk: int, gfe_pk: int) -> HttpResponse:
    client = _client(request, pk)
    estimate = _estimate(request, client, gfe_pk)
    try:
        estimate_void(estimate=estimate, ctx=AuditContext.from_request(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Estimate {estimate.number} is void.")
    return redirect("estimates:list", client.pk)
