"""Eligibility screens: a client's checks (history, run one by hand with its cost shown
first), one check's benefit summary with the per-session estimate, and Settings →
Subscription & Fees (the usage ledger). Thin: parse, call a service or selector, audit
what is shown, render."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from oasys.clients.phi import phi_read
from oasys.clients.pricing import charge_for
from oasys.clients.selectors import (
    client_list,
    policy_list,
    pricing_rules_by_client_service,
)
from oasys.core.audit import AuditContext, audit_list_read
from oasys.core.feedback import refusals_as_messages
from oasys.core.permissions import practice_required
from oasys.core.text import parse_id
from oasys.core.timezones import practice_zone
from oasys.practice.selectors import service_type_list

from .estimate import estimate_from_summary
from .models import CheckSource
from .selectors import (
    eligibility_check_failing_list,
    eligibility_check_list,
    usage_fee_list,
    usage_fee_monthly_totals,
)
from .services import eligibility_check_fee, eligibility_check_run

ACCUMULATOR_LEVELS = [("Individual", "individual"), ("Family", "family")]
NETWORKS = [("in-network", "in_network"), ("out-of-network", "out_of_network")]


@require_GET
@practice_required("clients.billing")
def client_checks(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(client_list(practice=request.practice), pk=pk)
    checks = list(eligibility_check_list(practice=request.practice, client=client)[:100])
    policies = [p for p in policy_list(practice=request.practice, client=client) if p.is_active]
    phi_read(request, categories=["eligibility", "insurance"], client_id=client.pk,
             object_type="EligibilityCheck", count=len(checks))
    return render(request, "eligibility/client_checks.html", {
        "client": client, "checks": checks, "policies": policies,
        "fee": eligibility_check_fee(), "tab": "eligibility",
    })


@require_GET
@practice_required("clients.billing")
def failing(request: HttpRequest) -> HttpResponse:
    """Clients whose newest eligibility check failed or found the coverage inactive (the home
    page counts them and links here)."""
    page = Paginator(eligibility_check_failing_list(practice=request.practice),
                     50).get_page(request.GET.get("page"))
    audit_list_read(request, category="eligibility", client_ids=[c.client_id for c in page],
                    detail={"list": "failing", "total": page.paginator.count})
    return render(request, "eligibility/failing.html", {"page": page})


@require_POST
@practice_required("clients.billing")
def check_run(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(client_list(practice=request.practice), pk=pk)
    policy = get_object_or_404(
        policy_list(practice=request.practice, client=client).filter(is_active=True),
        pk=parse_id(request.POST.get("policy")) or 0,
    )
    with refusals_as_messages(request, prefix="The check could not run: ") as ran:
        check = eligibility_check_run(policy=policy, ctx=AuditContext.from_request(request),
                                      actor=request.user, source=CheckSource.MANUAL)
    if not ran:
        return redirect("eligibility:client_checks", pk=client.pk)
    return redirect("eligibility:detail", check_pk=check.pk)


@require_GET
@practice_required("clients.billing")
def check_detail(request: HttpRequest, check_pk: int) -> HttpResponse:
    check = get_object_or_404(eligibility_check_list(practice=request.practice),
                              pk=check_pk)
    client = check.client
    estimates = []
    if check.summary.get("coverage") == "active" and \
            not check.summary.get("mental_health", {}).get("carved_out"):
        rules = pricing_rules_by_client_service(request.practice, client_ids=[client.pk])
        for service_type in service_type_list(practice=request.practice, active_only=True)[:8]:
            amount, _cpt = charge_for(service_type=service_type,
                                      rule=rules.get((client.pk, service_type.pk)))
            if amount is None or amount <= 0:
                continue
            estimates.append({"name": service_type.name, "charge": amount,
                              "estimate": estimate_from_summary(check.summary, charge=amount)})
    phi_read(request, categories=["eligibility"], client_id=client.pk,
             object_type="EligibilityCheck", object_id=check.pk)
    return render(request, "eligibility/detail.html", {
        "client": client, "check": check, "estimates": estimates,
        "fee": eligibility_check_fee(), "tab": "eligibility",
        "accumulators": [("Deductible", check.summary.get("deductible") or {}),
                         ("Out-of-pocket", check.summary.get("out_of_pocket") or {})],
        "levels": ACCUMULATOR_LEVELS, "networks": NETWORKS,
    })


@require_GET
@practice_required("practice.fees")
def fees(request: HttpRequest) -> HttpResponse:
    """Settings → Subscription & Fees: the usage ledger. Fees name check ids and payers,
    never clients, so this page discloses no PHI."""
    page = Paginator(usage_fee_list(practice=request.practice), 50).get_page(
        request.GET.get("page"))
    return render(request, "eligibility/fees.html", {
        "page": page, "fee": eligibility_check_fee(),
        "months": usage_fee_monthly_totals(practice=request.practice,
                                           tzinfo=practice_zone(request.practice)),
    })
