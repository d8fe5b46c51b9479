"""Billing → Client Billing: the client list, a client's overview, and its settings
(details, diagnoses, insurance, pricing rules). Thin: parse, call a service or selector,
audit what is shown, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.core.audit import AuditContext
from oasys.core.feedback import refusals_as_messages
from oasys.core.models import Practice
from oasys.core.nav import redirect_next
from oasys.core.permissions import has_permission, practice_required
from oasys.core.text import parse_id
from oasys.practice.selectors import payer_search

from . import selectors, services
from .diagnoses import (
    MAX_DIAGNOSES,
    diagnosis_description,
    diagnosis_index_warm,
    diagnosis_search,
)
from .errors import form_add_errors
from .forms import ClientFilterForm, ClientForm, DiagnosisAddForm, PolicyForm, PricingRuleForm
from .models import Client
from .phi import phi_read
from .pricing import charge_for
from .selectors import (
    diagnosis_list,
    policy_list,
    pricing_rule_list,
)

PAGE_SIZE = 25


def _client(request: HttpRequest, pk: int) -> Client:
    return get_object_or_404(selectors.client_list(practice=request.practice), pk=pk)


def _ctx(request: HttpRequest) -> AuditContext:
    return AuditContext.from_request(request)


def _sees_billing(request: HttpRequest) -> bool:
    """Insurance and pricing are shown to those who bill: minimum necessary disclosure."""
    return has_permission(request.user, "clients.billing")


@require_GET
@practice_required("clients.view")
def client_list(request: HttpRequest) -> HttpResponse:
    form = ClientFilterForm(request.GET or None)
    query = billing_type = ""
    if form.is_valid():
        query = form.cleaned_data["q"]
        billing_type = form.cleaned_data["billing_type"]
    qs = selectors.client_list(practice=request.practice, query=query, billing_type=billing_type)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    phi_read(request, categories=["demographics"], object_type="Client", count=len(page),
             client_ids=[c.pk for c in page])
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "clients/list.html",
        {"form": form, "page": page, "querystring": params.urlencode()},
    )


@require_http_methods(["GET", "POST"])
@practice_required("clients.view", post="clients.edit")
def client_new(request: HttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                practice=request.practice, ctx=_ctx(request), data=form.cleaned_data
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Client added.")
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", {"form": form, "client": None})


@require_GET
@practice_required("clients.view")
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    practice: Practice = request.practice
    sees_billing = _sees_billing(request)
    diagnoses = [
        {"obj": d, "description": diagnosis_description(d.code)}
        for d in diagnosis_list(practice=practice, client=client)
    ]
    context: dict = {
        "client": client,
        "diagnoses": diagnoses,
        "sees_billing": sees_billing,
        "tab": "overview",
    }
    categories = ["demographics", "diagnosis", "session"]
    if sees_billing:
        context["policies"] = list(policy_list(practice=practice, client=client))
        context["rules"] = _rules_with_charge(practice, client)
        # what the client owes comes from the ledger's template tag (client_balance_of)
        categories += ["insurance", "pricing", "balance"]
    phi_read(
        request,
        categories=categories,
        client_id=client.pk,
        object_type="Client",
        object_id=client.pk,
    )
    return render(request, "clients/detail.html", context)


@require_http_methods(["GET", "POST"])
@practice_required("clients.view", post="clients.edit")
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    initial = {name: getattr(client, name) for name in services.CLIENT_FIELDS}
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(client=client, ctx=_ctx(request), data=form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Client details saved.")
            return redirect_next(request, "clients:detail", pk=client.pk)
    else:
        phi_read(
            request,
            categories=["demographics"],
            client_id=client.pk,
            object_type="Client",
            object_id=client.pk,
        )
    return render(
        request, "clients/client_form.html", {"form": form, "client": client, "tab": "edit"}
    )


@require_http_methods(["GET", "POST"])
@practice_required("clients.view", post="clients.edit")
def client_diagnoses(request: HttpRequest, pk: int) -> HttpResponse:
    """The ordered ICD-10-CM list. POST `action` is add (with `code`), or remove/up/down
    (with `diagnosis`, an id of this client's list)."""
    client = _client(request, pk)
    practice = request.practice
    form = DiagnosisAddForm()
    if request.method == "POST":
        action = request.POST.get("action", "add")
        if action == "add":
            form = DiagnosisAddForm(request.POST)
            if form.is_valid():
                try:
                    diagnosis = services.diagnosis_add(
                        client=client, ctx=_ctx(request), code=form.cleaned_data["code"]
                    )
                except ValidationError as exc:
                    form_add_errors(form, exc)
                else:
                    messages.success(request, f"{diagnosis.code} added.")
                    return redirect_next(request, "clients:diagnoses", pk=client.pk)
        elif action in {"remove", "up", "down"}:
            diagnosis = get_object_or_404(
                diagnosis_list(practice=practice, client=client),
                pk=parse_id(request.POST.get("diagnosis")) or 0,
            )
            if action == "remove":
                services.diagnosis_remove(diagnosis=diagnosis, ctx=_ctx(request))
            else:
                services.diagnosis_move(diagnosis=diagnosis, ctx=_ctx(request), direction=action)
            return redirect("clients:diagnoses", pk=client.pk)
        else:
            return HttpResponse("Unknown action", status=400)
    diagnoses = [
        {"obj": d, "description": diagnosis_description(d.code)}
        for d in diagnosis_list(practice=practice, client=client)
    ]
    diagnosis_index_warm()  # the add form's search: ready by the first keystroke
    phi_read(
        request,
        categories=["diagnosis"],
        client_id=client.pk,
        object_type="Diagnosis",
        count=len(diagnoses),
    )
    return render(
        request,
        "clients/diagnoses.html",
        {
            "client": client,
            "diagnoses": diagnoses,
            "form": form,
            "tab": "diagnoses",
            "max_diagnoses": MAX_DIAGNOSES,
        },
    )


@require_http_methods(["GET", "POST"])
@practice_required("clients.billing")
def client_policies(request: HttpRequest, pk: int) -> HttpResponse:
    """Settings → Insurance: the client's policies and a form to add one."""
    client = _client(request, pk)
    payer_query = request.GET.get("payer_q", "")
    form = PolicyForm(request.POST or None, payer_query=payer_query)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_create(client=client, ctx=_ctx(request), data=form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Insurance policy added.")
            return redirect_next(request, "clients:policies", pk=client.pk)
    policies = list(policy_list(practice=request.practice, client=client))
    phi_read(
        request,
        categories=["insurance"],
        client_id=client.pk,
        object_type="InsurancePolicy",
        count=len(policies),
    )
    return render(
        request,
        "clients/policies.html",
        {
            "client": client,
            "policies": policies,
            "form": form,
            "tab": "insurance",
            "payer_query": payer_query,
        },
    )


@require_http_methods(["GET", "POST"])
@practice_required("clients.billing")
def client_policy_edit(request: HttpRequest, pk: int, policy_pk: int) -> HttpResponse:
    client = _client(request, pk)
    policy = get_object_or_404(policy_list(practice=request.practice, client=client), pk=policy_pk)
    payer_query = request.GET.get("payer_q", "")
    form = PolicyForm(
        request.POST or None, initial=PolicyForm.initial_for(policy), payer_query=payer_query
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(policy=policy, ctx=_ctx(request), data=form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Insurance policy saved.")
            return redirect_next(request, "clients:policies", pk=client.pk)
    else:
        phi_read(
            request,
            categories=["insurance"],
            client_id=client.pk,
            object_type="InsurancePolicy",
            object_id=policy.pk,
        )
    return render(
        request,
        "clients/policy_form.html",
        {
            "client": client,
            "policy": policy,
            "form": form,
            "tab": "insurance",
            "payer_query": payer_query,
        },
    )


@require_POST
@practice_required("clients.view")
def diagnosis_options(request: HttpRequest) -> HttpResponse:
    """htmx: ICD-10-CM codes matching the words or code typed (POST `q`, else `code`), for a
    diagnosis field. POST, so what a user types about a client's condition never lands in a
    URL or an access log; the answer is the public code set only, so nothing is audited."""
    query = request.POST.get("q") or request.POST.get("code") or ""
    if not query and request.POST.get("diagnosis_codes"):
        # a list field ("F41.1, anx"): the term being typed is the last one
        query = request.POST["diagnosis_codes"].split(",")[-1]
    query = query.strip()[:100]
    results = diagnosis_search(query=query, limit=15) if len(query) >= 2 else []
    return render(request, "clients/_diagnosis_options.html",
                  {"query": query, "results": results})


@require_GET
@practice_required("clients.billing")
def payer_options(request: HttpRequest) -> HttpResponse:
    """htmx: <option>s of payers matching ?payer_q= for the policy form's payer field.
    The payer directory is reference data, not PHI, so this is not audited."""
    payers = payer_search(query=request.GET.get("payer_q", ""), min_length=2)
    return render(request, "clients/_payer_options.html", {"payers": payers})


def _rules_with_charge(practice: Practice, client: Client) -> list[dict]:
    rows = []
    for rule in pricing_rule_list(practice=practice, client=client):
        amount, cpt = charge_for(service_type=rule.service_type, rule=rule)
        rows.append({"obj": rule, "amount": amount, "cpt": cpt})
    return rows


@require_http_methods(["GET", "POST"])
@practice_required("clients.billing")
def client_pricing_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """Settings → Pricing Rules: per service type a custom price and/or CPT code."""
    client = _client(request, pk)
    form = PricingRuleForm(request.POST or None, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        try:
            services.pricing_rule_create(client=client, ctx=_ctx(request), data=form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Pricing rule added.")
            return redirect_next(request, "clients:pricing_rules", pk=client.pk)
    rules = _rules_with_charge(request.practice, client)
    phi_read(
        request,
        categories=["pricing"],
        client_id=client.pk,
        object_type="PricingRule",
        count=len(rules),
    )
    return render(
        request,
        "clients/pricing_rules.html",
        {"client": client, "rules": rules, "form": form, "tab": "pricing"},
    )


@require_http_methods(["GET", "POST"])
@practice_required("clients.billing")
def client_pricing_rule_edit(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    client = _client(request, pk)
    rule = get_object_or_404(
        pricing_rule_list(practice=request.practice, client=client), pk=rule_pk
    )
    initial = {"service_type": rule.service_type_id, "price": rule.price, "cpt_code": rule.cpt_code}
    form = PricingRuleForm(
        request.POST or None,
        initial=initial,
        practice=request.practice,
        keep_service_type_id=rule.service_type_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.pricing_rule_update(rule=rule, ctx=_ctx(request), data=form.cleaned_data)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Pricing rule saved.")
            return redirect_next(request, "clients:pricing_rules", pk=client.pk)
    else:
        phi_read(
            request,
            categories=["pricing"],
            client_id=client.pk,
            object_type="PricingRule",
            object_id=rule.pk,
        )
    return render(
        request,
        "clients/pricing_rule_form.html",
        {"client": client, "rule": rule, "form": form, "tab": "pricing"},
    )


@require_POST
@practice_required("clients.billing")
def client_pricing_rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    client = _client(request, pk)
    rule = get_object_or_404(
        pricing_rule_list(practice=request.practice, client=client), pk=rule_pk
    )
    with refusals_as_messages(request) as ran:
        services.pricing_rule_delete(rule=rule, ctx=_ctx(request))
    if ran:
        messages.success(request, "Pricing rule removed.")
    return redirect(reverse("clients:pricing_rules", args=[client.pk]))
