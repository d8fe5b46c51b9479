"""Billing → Client Billing → client → Settings → Insurance: the insurance wizard's screens.
Thin: parse, call wizard services, audit what is shown, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clients.errors import error_messages, form_add_errors
from oasys.clients.models import Client, Gender, Relationship
from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext
from oasys.core.permissions import practice_required
from oasys.practice.models import Payer
from oasys.practice.selectors import accepted_payer_list, provider_profile_get

from . import wizard
from .models import CheckOutcome
from .selectors import (
    insurance_card_list,
    insurance_wizard_draft_get,
)
from .services import eligibility_check_fee
from .wizard_forms import AddressStepForm, ClientStepForm, InsuranceStepForm, SubscriberStepForm


def _client(request: HttpRequest, pk: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=pk)


def _ctx(request: HttpRequest) -> AuditContext:
    return AuditContext.from_request(request)


def _accepted_payers(request: HttpRequest) -> list[Payer]:
    return [ap.payer for ap in accepted_payer_list(practice=request.practice)]


def _form(step: str, draft_data: dict[str, Any], request: HttpRequest, *, bound: bool,
          data: Any = None, files: Any = None):
    initial = dict(draft_data.get(step) or {})
    if step == "insurance":
        for key in ("payer", "secondary_payer"):
            initial[key] = str(initial.get(key) or "")
        return InsuranceStepForm(data if bound else None, files if bound else None,
                                 initial=initial, payers=_accepted_payers(request))
    if step == "client":
        return ClientStepForm(data if bound else None, initial=initial)
    if step == "subscriber":
        ins = draft_data.get("insurance") or {}
        return SubscriberStepForm(
            data if bound else None, initial=initial,
            primary=ins.get("relationship", "self") != "self",
            secondary=bool(ins.get("has_secondary"))
            and ins.get("secondary_relationship", "self") != "self")
    return AddressStepForm(data if bound else None, initial=initial)


def _steps_nav(draft_data: dict[str, Any], current: str) -> list[dict[str, Any]]:
    done = set(draft_data.get("done") or [])
    return [
        {"name": s, "title": wizard.STEP_TITLES[s], "number": i, "current": s == current,
         "done": s in done, "open": wizard.step_allowed(draft_data, s)}
        for i, s in enumerate(wizard.applicable_steps(draft_data), start=1)
    ]


@require_GET
@practice_required("clients.billing")
def wizard_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start, or resume where it was left."""
    client = _client(request, pk)
    draft = wizard.insurance_wizard_start(client=client, ctx=_ctx(request), actor=request.user)
    step = draft.step if wizard.step_allowed(draft.data, draft.step) else \
        wizard.first_open_step(draft.data)
    return redirect("wizard:step", pk=client.pk, step=step)


@require_http_methods(["GET", "POST"])
@practice_required("clients.billing")
def wizard_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    client = _client(request, pk)
    if step not in wizard.STEP_NAMES:
        raise Http404("No such step")
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    if draft is None:
        return redirect("wizard:start", pk=client.pk)
    if not wizard.step_allowed(draft.data, step):
        return redirect("wizard:step", pk=client.pk, step=wizard.first_open_step(
            draft.data))
    if step == "review":
        return _review(request, client, draft)
    if request.method == "POST":
        form = _form(step, draft.data, request, bound=True, data=request.POST,
                     files=request.FILES)
        form.is_valid()  # parses only; the rules are the wizard's
        data = {name: request.POST.get(name) for name in wizard.STEP_FIELDS[step]}
        data["has_secondary"] = request.POST.get("has_secondary") == "on"
        files = {name: request.FILES[name] for name in wizard.CARD_FIELDS if name in
                 request.FILES}
        try:
            draft = wizard.insurance_wizard_step_save(
                draft=draft, ctx=_ctx(request), actor=request.user, step=step, data=data,
                files=files)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            if request.POST.get("leave"):
                messages.success(request, "Saved. You can continue the insurance wizard later.")
                return redirect("clients:detail", pk=client.pk)
            return redirect("wizard:step", pk=client.pk, step=draft.step)
    else:
        form = _form(step, draft.data, request, bound=False)
        if request.GET.get("check"):
            # Back from "Save and verify" with problems: show them beside their fields.
            stored = draft.data.get(step) or {}
            form = _form(step, draft.data, request, bound=True, data={
                k: ("on" if val is True else "" if val in (None, False) else str(val))
                for k, val in stored.items()})
            form.is_valid()
            _values, errors = wizard.step_clean(
                step, stored, accepted_payer_ids={p.pk for p in _accepted_payers(request)},
                insurance=draft.data.get("insurance"))
            if errors:
                form_add_errors(form, ValidationError({k: [m] for k, m in errors.items()}))
        phi_read(request, categories=["insurance", "demographics"], client_id=client.pk,
                 object_type="InsuranceWizardDraft", object_id=draft.pk)
    cards = list(insurance_card_list(practice=request.practice, client=client)) \
        if step == "insurance" else []
    return render(request, f"eligibility/wizard/{step}.html", {
        "client": client, "draft": draft, "form": form, "step": step,
        "step_title": wizard.STEP_TITLES[step], "steps": _steps_nav(draft.data, step),
        "tab": "insurance", "cards": cards,
    })


def _payer_label(payers: dict[int, Payer], pk: Any) -> str:
    payer = payers.get(pk) if pk else None
    return str(payer) if payer else "—"


def _review(request: HttpRequest, client: Client, draft) -> HttpResponse:
    data = draft.data
    ins = data.get("insurance") or {}
    ids = [ins.get("payer"), ins.get("secondary_payer")]
    payers = {p.pk: p for p in Payer.objects.filter(pk__in=[i for i in ids if i])}
    gender = dict(Gender.choices)
    relationship = dict(Relationship.choices)
    profile = provider_profile_get(practice=request.practice)
    phi_read(request, categories=["insurance", "demographics"], client_id=client.pk,
             object_type="InsuranceWizardDraft", object_id=draft.pk)
    return render(request, "eligibility/wizard/review.html", {
        "client": client, "draft": draft, "step": "review", "step_title": "Review and verify",
        "steps": _steps_nav(data, "review"), "tab": "insurance",
        "ins": ins, "person": data.get("client") or {}, "sub": data.get("subscriber") or {},
        "address": data.get("address") or {},
        "payer_label": _payer_label(payers, ins.get("payer")),
        "secondary_payer_label": _payer_label(payers, ins.get("secondary_payer")),
        "gender": gender, "relationship": relationship,
        "cards": list(insurance_card_list(practice=request.practice, client=client)),
        "fee": eligibility_check_fee(),
        "provider_ready": bool(profile and profile.npi),
    })


@require_POST
@practice_required("clients.billing")
def wizard_complete(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    if draft is None:
        return redirect("wizard:start", pk=client.pk)
    try:
        result = wizard.insurance_wizard_complete(draft=draft, ctx=_ctx(request),
                                                  actor=request.user)
    except ValidationError as exc:
        errors = error_messages(exc)
        steps = [wizard.step_of(f) for f in errors]
        order = wizard.STEP_NAMES
        first = min((s for s in steps if s in order), key=order.index, default="insurance")
        messages.error(request, "Some answers need attention before saving: "
                                + " ".join(dict.fromkeys(errors.values())))
        return redirect(reverse("wizard:step", args=[client.pk, first]) + "?check=1")
    if result.check is None:
        problem = " ".join((result.check_problem or {}).values())
        messages.warning(request, f"Insurance saved. The eligibility check could not run: "
                                  f"{problem}")
        return redirect("clients:detail", pk=client.pk)
    _check_banner(request, result.check)
    return redirect("eligibility:detail", check_pk=result.check.pk)


def _check_banner(request: HttpRequest, check) -> None:
    """Green only for an active coverage: a rejected check, an inactive coverage or an error
    says why in words, never "checked" as if all was well."""
    carved_out = bool((check.summary or {}).get("mental_health", {}).get("carved_out"))
    if check.outcome == CheckOutcome.ACTIVE and not carved_out:
        messages.success(request, "Insurance saved and checked with the payer: coverage is "
                                  "active.")
    elif check.outcome in (CheckOutcome.REJECTED, CheckOutcome.INACTIVE, CheckOutcome.ERROR):
        messages.error(request, f"Insurance saved, but the payer did not confirm coverage "
                                f"({check.get_outcome_display().lower()}): {check.message}")
    else:
        messages.warning(request, f"Insurance saved. {check.message}")


@require_POST
@practice_required("clients.billing")
def wizard_discard(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    if draft is not None:
        wizard.insurance_wizard_discard(draft=draft, ctx=_ctx(request))
        messages.success(request, "The insurance wizard's unsaved answers were discarded.")
    return redirect("clients:detail", pk=client.pk)


@require_GET
@practice_required("clients.billing")
def wizard_payer_options(request: HttpRequest) -> HttpResponse:
    """htmx: <option>s of the practice's accepted payers matching ?payer_q= (the search box,
    sent by htmx under its own name) or ?q= (name or payer ID). Reference data, not PHI: not
    audited."""
    query = (request.GET.get("payer_q") or request.GET.get("q") or "").strip().lower()
    payers = [
        p for p in _accepted_payers(request)
        if not query or query in p.name.lower()
        or query in {(p.payer_id_claims or "").lower(), (p.payer_id_eligibility or "").lower()}
    ]
    return render(request, "eligibility/wizard/_payer_options.html", {"payers": payers})


@require_GET
@practice_required("clients.billing")
def insurance_card_image(request: HttpRequest, pk: int, card_pk: int) -> HttpResponse:
    """A card photo, to users of the client's practice only (another practice's: 404)."""
    client = _client(request, pk)
    card = get_object_or_404(
        insurance_card_list(practice=request.practice, client=client, current_only=False),
        pk=card_pk)
    try:
        handle = card.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The photo's file is missing") from exc
    phi_read(request, categories=["insurance"], client_id=client.pk,
             object_type="InsuranceCard", object_id=card.pk)
    response = FileResponse(handle, content_type=card.content_type)
    response["Content-Disposition"] = f'inline; filename="card-{card.side}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
