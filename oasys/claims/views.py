"""Billing → Manage Claims: every claim, the Submitted / Secondary / Denied sub-tabs, and a
claim's own page with its lines, money and history."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required

from .selectors import claim_age_days, claim_counts, claim_list, claim_qs, is_aging
from .status import MEANINGS, ClaimStatus

TABS = [("all", "All claims"), ("submitted", "Submitted"), ("secondary", "Secondary"),
        ("denied", "Denied")]


@practice_required()
def claims(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "all")
    if tab not in dict(TABS):
        tab = "all"
    status = request.GET.get("status", "")
    if status not in ClaimStatus.values:
        status = ""
    qs = claim_list(practice=request.practice, tab=tab, status=status,
                    query=request.GET.get("q", "").strip())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [{"claim": c, "age": claim_age_days(c), "aging": is_aging(c)} for c in page]
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", detail={"list": tab, "count": page.paginator.count})
    return render(request, "claims/list.html", {
        "tab": tab, "tabs": TABS, "rows": rows, "page": page, "status": status,
        "statuses": ClaimStatus.choices, "counts": claim_counts(practice=request.practice),
        "meanings": MEANINGS,
    })


@practice_required()
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_qs(practice=request.practice), pk=pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", client_id=claim.client_id, object_type="Claim",
                 object_id=claim.pk)
    return render(request, "claims/detail.html", {
        "claim": claim,
        "lines": claim.lines.all(),
        "events": claim.events.select_related("actor"),
        "meaning": MEANINGS.get(claim.status, ""),
        "age": claim_age_days(claim),
        "aging": is_aging(claim),
    })
