"""/api/v1/clients/{id}/insurance-wizard: the insurance wizard over the API, through the
same wizard services as the screens.

GET answers the draft (or, when none is started, what the wizard would start from, without
saving anything); PUT {"step", "data"} validates and saves one step; POST .../cards/{side}
uploads a card photo (multipart, field "file"); POST .../complete saves the client and
policies and runs the eligibility check; DELETE discards the draft. Refused input answers
422 {"errors": {field: message}}; a step's own name as the field means "complete this step".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from oasys.clients.errors import error_messages
from oasys.clients.models import Client, InsurancePolicy
from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list
from oasys.core.api import ErrorsOut
from oasys.core.audit import AuditContext
from oasys.core.permissions import api_permission

from . import wizard
from .api import CheckOut, check_out
from .models import InsuranceWizardDraft
from .selectors import insurance_card_list, insurance_wizard_draft_get

router = Router(tags=["insurance wizard"])

# The API names payers as the rest of the API does (payer_id); the wizard stores "payer".
RENAMES = {"payer_id": "payer", "secondary_payer_id": "secondary_payer"}
BACK = {v: k for k, v in RENAMES.items()}


class StepIn(Schema):
    step: str
    data: dict[str, Any] = {}


class CardOut(Schema):
    id: int
    side: str
    priority: str
    content_type: str
    size: int


class WizardOut(Schema):
    client_id: int
    started: bool
    step: str
    steps: list[str]
    done: list[str]
    data: dict[str, dict[str, Any]]
    cards: list[CardOut]


class CompleteOut(Schema):
    client_id: int
    policy_id: int
    secondary_policy_id: int | None
    eligibility_check: CheckOut | None
    eligibility_errors: dict[str, str] | None


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=client_id)


def _api_names(values: dict[str, Any]) -> dict[str, Any]:
    return {BACK.get(k, k): v for k, v in values.items()}


def _errors(exc: ValidationError) -> dict[str, dict[str, str]]:
    return {"errors": {BACK.get(k, k): m for k, m in error_messages(exc).items()}}


def _state(request: HttpRequest, client: Client, draft: InsuranceWizardDraft | None
           ) -> dict[str, Any]:
    if draft is not None:
        data, step, started = draft.data, draft.step, True
    else:
        policies = list(InsurancePolicy.objects.filter(client=client, is_active=True))
        data, step, started = wizard.initial_data(client, policies), "insurance", False
    return {
        "client_id": client.pk, "started": started, "step": step,
        "steps": wizard.applicable_steps(data), "done": list(data.get("done") or []),
        "data": {s: _api_names(dict(data.get(s) or {})) for s in wizard.STEP_NAMES
                 if s != "review"},
        "cards": list(insurance_card_list(practice=request.practice, client=client)),
    }


@router.get("/{client_id}/insurance-wizard", response=WizardOut)
@api_permission("clients.billing")
def get_wizard(request: HttpRequest, client_id: int) -> dict[str, Any]:
    client = _client(request, client_id)
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    phi_read(request, categories=["insurance", "demographics"], client_id=client.pk,
             object_type="InsuranceWizardDraft", object_id=draft.pk if draft else "")
    return _state(request, client, draft)


@router.put("/{client_id}/insurance-wizard", response={200: WizardOut, 422: ErrorsOut})
@api_permission("clients.billing")
def put_step(request: HttpRequest, client_id: int, payload: StepIn) -> tuple[int, Any]:
    client = _client(request, client_id)
    ctx = AuditContext.from_request(request)
    draft = wizard.insurance_wizard_start(client=client, ctx=ctx, actor=request.user)
    data = {RENAMES.get(k, k): v for k, v in payload.data.items()}
    try:
        draft = wizard.insurance_wizard_step_save(draft=draft, ctx=ctx, actor=request.user,
                                                  step=payload.step, data=data)
    except ValidationError as exc:
        return 422, _errors(exc)
    return 200, _state(request, client, draft)


@router.post("/{client_id}/insurance-wizard/cards/{side}",
             response={201: CardOut, 422: ErrorsOut})
@api_permission("clients.billing")
def upload_card(request: HttpRequest, client_id: int, side: str,
                file: UploadedFile = File(...)) -> tuple[int, Any]:  # noqa: B008
    client = _client(request, client_id)
    ctx = AuditContext.from_request(request)
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    if draft is None:
        return 422, {"errors": {"insurance": "Save the insurance step first."}}
    try:
        card = wizard.insurance_card_upload(draft=draft, ctx=ctx, actor=request.user,
                                            side=side, upload=file)
    except ValidationError as exc:
        return 422, _errors(exc)
    return 201, card


@router.post("/{client_id}/insurance-wizard/complete", response={200: CompleteOut, 422: ErrorsOut})
@api_permission("clients.billing")
def complete(request: HttpRequest, client_id: int) -> tuple[int, Any]:
    client = _client(request, client_id)
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    if draft is None:
        return 422, {"errors": {"insurance": "Start the insurance wizard first."}}
    try:
        result = wizard.insurance_wizard_complete(
            draft=draft, ctx=AuditContext.from_request(request), actor=request.user)
    except ValidationError as exc:
        return 422, _errors(exc)
    return 200, {
        "client_id": client.pk, "policy_id": result.policy.pk,
        "secondary_policy_id": result.secondary.pk if result.secondary else None,
        "eligibility_check": check_out(result.check) if result.check else None,
        "eligibility_errors": result.check_problem,
    }


@router.delete("/{client_id}/insurance-wizard", response={204: None})
@api_permission("clients.billing")
def discard(request: HttpRequest, client_id: int) -> tuple[int, None]:
    client = _client(request, client_id)
    draft = insurance_wizard_draft_get(practice=request.practice, client=client)
    if draft is not None:
        wizard.insurance_wizard_discard(draft=draft, ctx=AuditContext.from_request(request))
    return 204, None
