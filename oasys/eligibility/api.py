"""/api/v1: eligibility checks of a client and the practice's usage fees.

POST /clients/{id}/eligibility-checks runs a check on the client's active primary policy
(or the one named) and answers with the benefit summary: amounts as strings with two
decimals, null for what the payer did not report. Refused input answers 422
{"errors": {field: message}}; another practice's ids answer 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list, policy_list
from oasys.core.api import ErrorsOut, PageOut, errors_body, optional_body_checked, paginate
from oasys.core.audit import AuditContext
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from .models import CheckSource, EligibilityCheck
from .selectors import eligibility_check_list, usage_fee_list
from .services import eligibility_check_fee, eligibility_check_run

router = Router(tags=["eligibility"])


class CheckIn(Schema):
    policy_id: int | None = None


class CheckOut(Schema):
    id: int
    client_id: int
    policy_id: int | None
    payer_id: int | None
    payer_name: str
    source: str
    outcome: str
    message: str
    retryable: bool
    charged: bool
    fee: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    summary: dict[str, Any]


class CheckListOut(PageOut):
    items: list[CheckOut]


class FeeOut(Schema):
    id: int
    kind: str
    amount: str
    eligibility_check_id: int | None
    occurred_at: dt.datetime


class FeeListOut(PageOut):
    unit_price: str
    items: list[FeeOut]


def check_out(check: EligibilityCheck) -> dict[str, Any]:
    fee = getattr(check, "fee", None) if check.reached_payer else None
    return {
        "id": check.pk,
        "client_id": check.client_id,
        "policy_id": check.policy_id,
        "payer_id": check.payer_id,
        "payer_name": check.payer.name if check.payer else "",
        "source": check.source,
        "outcome": check.outcome,
        "message": check.message,
        "retryable": check.is_retryable,
        "charged": fee is not None,
        "fee": money_str(fee.amount) if fee is not None else None,
        "created_at": check.created_at,
        "completed_at": check.completed_at,
        "summary": check.summary,
    }


def _client(request: HttpRequest, client_id: int):
    return get_object_or_404(client_list(practice=request.practice), pk=client_id)


@router.post("/clients/{client_id}/eligibility-checks",
             response={201: CheckOut, 422: ErrorsOut})
@api_permission("clients.billing")
def run_check(request: HttpRequest, client_id: int, payload: CheckIn | None = None):
    optional_body_checked(request)
    client = _client(request, client_id)
    policies = policy_list(practice=request.practice, client=client).filter(is_active=True)
    if payload is not None and payload.policy_id is not None:
        policy = get_object_or_404(policies, pk=payload.policy_id)
    else:
        policy = policies.filter(priority="primary").first()
        if policy is None:
            return 422, {"errors": {"policy_id": "This client has no active primary policy: "
                                                  "enter the insurance first."}}
    try:
        check = eligibility_check_run(policy=policy, ctx=AuditContext.from_request(request),
                                      actor=request.user, source=CheckSource.API)
    except ValidationError as exc:
        return 422, errors_body(exc)
    return 201, check_out(check)


@router.get("/clients/{client_id}/eligibility-checks", response=CheckListOut)
@api_permission("clients.billing")
def list_checks(request: HttpRequest, client_id: int, page: int = 1, page_size: int = 25):
    client = _client(request, client_id)
    items, meta = paginate(eligibility_check_list(practice=request.practice, client=client),
                           page=page, page_size=page_size)
    phi_read(request, categories=["eligibility"], client_id=client.pk,
             object_type="EligibilityCheck", count=len(items))
    return {**meta, "items": [check_out(c) for c in items]}


@router.get("/eligibility-checks/{check_id}", response=CheckOut)
@api_permission("clients.billing")
def get_check(request: HttpRequest, check_id: int):
    check = get_object_or_404(eligibility_check_list(practice=request.practice),
                              pk=check_id)
    phi_read(request, categories=["eligibility"], client_id=check.client_id,
             object_type="EligibilityCheck", object_id=check.pk)
    return check_out(check)


@router.get("/usage-fees", response=FeeListOut)
@api_permission("practice.fees")
def list_fees(request: HttpRequest, page: int = 1, page_size: int = 50):
    items, meta = paginate(usage_fee_list(practice=request.practice), page=page,
                           page_size=page_size)
    return {**meta, "unit_price": money_str(eligibility_check_fee()), "items": [
        {"id": f.pk, "kind": f.kind, "amount": money_str(f.amount),
         "eligibility_check_id": f.eligibility_check_id, "occurred_at": f.occurred_at}
        for f in items]}
