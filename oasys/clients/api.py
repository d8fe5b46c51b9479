"""/api/v1/clients: the same services and selectors as the screens.

Refused input answers 422 {"errors": {field: message}}; another practice's ids answer 404;
every read of client data is audited like the screens' reads. PUT updates the fields sent
and keeps the others. Amounts are strings with two decimals ("120.00").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from oasys.core.api import ErrorsOut, PageOut, errors_body, paginate
from oasys.core.audit import AuditContext
from oasys.core.models import Practice
from oasys.core.money import money_str
from oasys.core.permissions import api_permission, has_permission

from . import services
from .diagnoses import diagnosis_description
from .errors import error_messages
from .models import Client, InsurancePolicy, PricingRule
from .phi import phi_read
from .pricing import charge_for
from .selectors import (
    client_list,
    diagnosis_list,
    policy_list,
    pricing_rule_list,
)

router = Router(tags=["clients"])

# --- schemas ------------------------------------------------------------------------------


class ClientListItem(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    billing_type: str
    is_draft: bool


class ClientListOut(PageOut):
    items: list[ClientListItem]


class AddressOut(Schema):
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str


class DiagnosisOut(Schema):
    position: int
    code: str
    description: str


class PolicyOut(Schema):
    id: int
    payer_id: int | None
    payer_name: str
    payer_id_claims: str
    priority: str
    member_id: str
    group_number: str
    relationship: str
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_date_of_birth: dt.date | None
    subscriber_gender: str
    subscriber_address: AddressOut
    is_active: bool


class PricingRuleOut(Schema):
    id: int
    service_type_id: int
    service_type_name: str
    price: str | None
    cpt_code: str
    charge: str | None
    charge_cpt_code: str


class ClientOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    gender: str
    email: str
    phone: str
    address: AddressOut
    billing_type: str
    is_draft: bool
    referring_provider_npi: str
    diagnoses: list[DiagnosisOut]
    policies: list[PolicyOut] | None
    pricing_rules: list[PricingRuleOut] | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ClientIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None
    gender: str | None = None
    email: str | None = None
    phone: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    billing_type: str | None = None
    is_draft: bool | None = None
    referring_provider_npi: str | None = None


class DiagnosesIn(Schema):
    codes: list[str]


class PolicyIn(Schema):
    payer_id: int | None = None
    priority: str | None = None
    member_id: str | None = None
    group_number: str | None = None
    relationship: str | None = None
    subscriber_first_name: str | None = None
    subscriber_last_name: str | None = None
    subscriber_date_of_birth: str | None = None
    subscriber_gender: str | None = None
    subscriber_address1: str | None = None
    subscriber_address2: str | None = None
    subscriber_city: str | None = None
    subscriber_state: str | None = None
    subscriber_zip_code: str | None = None
    is_active: bool | None = None


class PricingRuleIn(Schema):
    service_type_id: int | None = None
    price: str | int | None = None
    cpt_code: str | None = None


# --- serialisers --------------------------------------------------------------------------


def _address(obj: Any, prefix: str = "") -> dict[str, str]:
    return {
        name: getattr(obj, prefix + name)
        for name in ("address1", "address2", "city", "state", "zip_code")
    }


def policy_out(p: InsurancePolicy) -> dict[str, Any]:
    return {
        "id": p.pk,
        "payer_id": p.payer_id,
        "payer_name": p.payer.name if p.payer else "",
        "payer_id_claims": p.payer.payer_id_claims if p.payer else "",
        "priority": p.priority,
        "member_id": p.member_id,
        "group_number": p.group_number,
        "relationship": p.relationship,
        "subscriber_first_name": p.subscriber_first_name,
        "subscriber_last_name": p.subscriber_last_name,
        "subscriber_date_of_birth": p.subscriber_date_of_birth,
        "subscriber_gender": p.subscriber_gender,
        "subscriber_address": _address(p, "subscriber_"),
        "is_active": p.is_active,
    }


def pricing_rule_out(r: PricingRule) -> dict[str, Any]:
    amount, cpt = charge_for(service_type=r.service_type, rule=r)
    return {
        "id": r.pk,
        "service_type_id": r.service_type_id,
        "service_type_name": r.service_type.name,
        "price": money_str(r.price),
        "cpt_code": r.cpt_code,
        "charge": money_str(amount),
        "charge_cpt_code": cpt,
    }


def _sees_billing(request: HttpRequest) -> bool:
    return has_permission(request.user, "clients.billing")


def client_out(request: HttpRequest, client: Client) -> dict[str, Any]:
    practice: Practice = request.practice
    billing = _sees_billing(request)
    return {
        "id": client.pk,
        "first_name": client.first_name,
        "last_name": client.last_name,
        "date_of_birth": client.date_of_birth,
        "gender": client.gender,
        "email": client.email,
        "phone": client.phone,
        "address": _address(client),
        "billing_type": client.billing_type,
        "is_draft": client.is_draft,
        "referring_provider_npi": client.referring_provider_npi,
        "diagnoses": [
            {"position": d.position, "code": d.code, "description": diagnosis_description(d.code)}
            for d in diagnosis_list(practice=practice, client=client)
        ],
        "policies": [policy_out(p) for p in policy_list(practice=practice, client=client)]
        if billing
        else None,
        "pricing_rules": [
            pricing_rule_out(r) for r in pricing_rule_list(practice=practice, client=client)
        ]
        if billing
        else None,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def _audit_client_read(request: HttpRequest, client: Client) -> None:
    categories = ["demographics", "diagnosis"]
    if _sees_billing(request):
        categories += ["insurance", "pricing"]
    phi_read(
        request,
        categories=categories,
        client_id=client.pk,
        object_type="Client",
        object_id=client.pk,
    )


def _client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=client_id)


def _data(payload: Schema, renames: dict[str, str] | None = None) -> dict[str, Any]:
    """The fields the caller actually sent, under the services' names."""
    data = payload.dict(exclude_unset=True)
    for old, new in (renames or {}).items():
        if old in data:
            data[new] = data.pop(old)
    return data


# --- routes -------------------------------------------------------------------------------


@router.get("", response=ClientListOut)
@api_permission("clients.view")
def list_clients(
    request: HttpRequest, q: str = "", billing_type: str = "", page: int = 1, page_size: int = 25
) -> dict[str, Any]:
    qs = client_list(practice=request.practice, query=q, billing_type=billing_type)
    items, meta = paginate(qs, page=page, page_size=page_size)
    phi_read(request, categories=["demographics"], object_type="Client", count=len(items),
             client_ids=[c.pk for c in items])
    return {**meta, "items": items}


@router.post("", response={201: ClientOut, 422: ErrorsOut})
@api_permission("clients.edit")
def create_client(request: HttpRequest, payload: ClientIn) -> tuple[int, dict]:
    try:
        client = services.client_create(
            practice=request.practice, ctx=AuditContext.from_request(request), data=_data(payload)
        )
    except ValidationError as exc:
        return 422, errors_body(exc)
    _audit_client_read(request, client)  # the answer discloses the whole record
    return 201, client_out(request, client)


@router.get("/{client_id}", response=ClientOut)
@api_permission("clients.view")
def get_client(request: HttpRequest, client_id: int) -> dict[str, Any]:
    client = _client(request, client_id)
    _audit_client_read(request, client)
    return client_out(request, client)


@router.put("/{client_id}", response={200: ClientOut, 422: ErrorsOut})
@api_permission("clients.edit")
def update_client(request: HttpRequest, client_id: int, payload: ClientIn) -> tuple[int, dict]:
    client = _client(request, client_id)
    try:
        services.client_update(
            client=client, ctx=AuditContext.from_request(request), data=_data(payload)
        )
    except ValidationError as exc:
        return 422, errors_body(exc)
    _audit_client_read(request, client)  # the answer discloses the whole record
    return 200, client_out(request, client)


@router.put("/{client_id}/diagnoses", response={200: list[DiagnosisOut], 422: ErrorsOut})
@api_permission("clients.edit")
def replace_diagnoses(
    request: HttpRequest, client_id: int, payload: DiagnosesIn
) -> tuple[int, Any]:
    client = _client(request, client_id)
    try:
        diagnoses = services.diagnoses_replace(
            client=client, ctx=AuditContext.from_request(request), codes=payload.codes
        )
    except ValidationError as exc:
        return 422, errors_body(exc)
    return 200, [
        {"position": d.position, "code": d.code, "description": diagnosis_description(d.code)}
        for d in diagnoses
    ]


class PolicyListOut(PageOut):
    items: list[PolicyOut]


class PricingRuleListOut(PageOut):
    items: list[PricingRuleOut]


@router.get("/{client_id}/policies", response=PolicyListOut)
@api_permission("clients.billing")
def list_policies(
    request: HttpRequest, client_id: int, page: int = 1, page_size: int = 100
) -> dict[str, Any]:
    client = _client(request, client_id)
    rows, meta = paginate(policy_list(practice=request.practice, client=client), page=page,
                          page_size=page_size)
    policies = [policy_out(p) for p in rows]
    phi_read(
        request,
        categories=["insurance"],
        client_id=client.pk,
        object_type="InsurancePolicy",
        count=len(policies),
    )
    return {**meta, "items": policies}


@router.post("/{client_id}/policies", response={201: PolicyOut, 422: ErrorsOut})
@api_permission("clients.billing")
def create_policy(request: HttpRequest, client_id: int, payload: PolicyIn) -> tuple[int, dict]:
    client = _client(request, client_id)
    try:
        policy = services.policy_create(
            client=client,
            ctx=AuditContext.from_request(request),
            data=_data(payload, {"payer_id": "payer"}),
        )
    except ValidationError as exc:
        return 422, errors_body(_renamed(exc, {"payer": "payer_id"}))
    return 201, policy_out(policy)


@router.put("/{client_id}/policies/{policy_id}", response={200: PolicyOut, 422: ErrorsOut})
@api_permission("clients.billing")
def update_policy(
    request: HttpRequest, client_id: int, policy_id: int, payload: PolicyIn
) -> tuple[int, dict]:
    client = _client(request, client_id)
    policy = get_object_or_404(policy_list(practice=request.practice, client=client), pk=policy_id)
    try:
        services.policy_update(
            policy=policy,
            ctx=AuditContext.from_request(request),
            data=_data(payload, {"payer_id": "payer"}),
        )
    except ValidationError as exc:
        return 422, errors_body(_renamed(exc, {"payer": "payer_id"}))
    return 200, policy_out(policy)


@router.get("/{client_id}/pricing-rules", response=PricingRuleListOut)
@api_permission("clients.billing")
def list_pricing_rules(
    request: HttpRequest, client_id: int, page: int = 1, page_size: int = 100
) -> dict[str, Any]:
    client = _client(request, client_id)
    rows, meta = paginate(pricing_rule_list(practice=request.practice, client=client),
                          page=page, page_size=page_size)
    rules = [pricing_rule_out(r) for r in rows]
    phi_read(
        request,
        categories=["pricing"],
        client_id=client.pk,
        object_type="PricingRule",
        count=len(rules),
    )
    return {**meta, "items": rules}


@router.post("/{client_id}/pricing-rules", response={201: PricingRuleOut, 422: ErrorsOut})
@api_permission("clients.billing")
def create_pricing_rule(
    request: HttpRequest, client_id: int, payload: PricingRuleIn
) -> tuple[int, dict]:
    client = _client(request, client_id)
    data = _data(payload, {"service_type_id": "service_type"})
    if isinstance(data.get("price"), int):
        data["price"] = str(data["price"])
    try:
        rule = services.pricing_rule_create(
            client=client, ctx=AuditContext.from_request(request), data=data
        )
    except ValidationError as exc:
        return 422, errors_body(_renamed(exc, {"service_type": "service_type_id"}))
    return 201, pricing_rule_out(rule)


@router.delete("/{client_id}/pricing-rules/{rule_id}", response={204: None})
@api_permission("clients.billing")
def delete_pricing_rule(request: HttpRequest, client_id: int, rule_id: int) -> tuple[int, None]:
    client = _client(request, client_id)
    rule = get_object_or_404(
        pricing_rule_list(practice=request.practice, client=client), pk=rule_id
    )
    services.pricing_rule_delete(rule=rule, ctx=AuditContext.from_request(request))
    return 204, None


def _renamed(exc: ValidationError, renames: dict[str, str]) -> ValidationError:
    """The services' field names as the API calls them (payer -> payer_id ...)."""
    messages = error_messages(exc)
    return ValidationError({renames.get(k, k): [m] for k, m in messages.items()})

