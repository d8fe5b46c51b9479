"""The REST API, /api/v1. Every route goes through the same services and selectors as the
screens; token authentication; every object lookup is scoped to the caller's practice."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .appointments.api import router as appointments_router
from .autobilling.api import router as autobilling_router
from .billing.api import router as billing_router
from .claims.api import router as claims_router
from .clearinghouse.api import router as clearinghouse_router
from .clients.api import router as clients_router
from .core.api import PageOut, paginate
from .core.api_auth import TokenAuth, docs_guard
from .core.audit import AuditContext
from .core.errors import DomainError, NotAllowed, NotFound
from .core.feedback import error_messages
from .core.models import ApiToken
from .core.permissions import SIGNED_IN, api_permission, api_public
from .core.selectors import api_token_list
from .core.services import TokenRefused, api_token_issue, api_token_revoke
from .eligibility.api import router as eligibility_router
from .eligibility.wizard_api import router as wizard_router
from .estimates.api import router as estimates_router
from .invoices.api import router as invoices_router
from .invoices.pdf_api import router as invoices_pdf_router
from .ledger.api import router as ledger_router
from .payments.api import router as payments_router
from .practice.api import router as practice_router
from .remittance.api import router as remittance_router
from .statements.api import router as statements_router
from .superbills.api import router as superbills_router

api = NinjaAPI(
    title="Oasys Billing API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
    docs_decorator=docs_guard,  # behind login in production (API_DOCS_PUBLIC)
)


class TokenIn(Schema):
    email: str
    password: str
    otp: str = ""  # the authenticator code, for an account with two-factor sign-in on
    name: str = "api"  # what the token is for; asking again with the same name replaces it


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


@api.post("/auth/token", auth=None, response=TokenOut, tags=["auth"])
@api_public
def auth_token(request: HttpRequest, payload: TokenIn) -> dict:
    try:
        key = api_token_issue(request=request, email=payload.email, password=payload.password,
                              otp=payload.otp, name=payload.name)
    except TokenRefused as exc:
        raise HttpError(401, str(exc)) from exc
    return {"token": key, "token_type": "Bearer"}


class TokenInfoOut(Schema):
    id: int
    name: str
    prefix: str
    user_email: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool


def _token_out(token: ApiToken) -> dict:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix,
            "user_email": token.user.email, "created_at": token.created_at,
            "expires_at": token.created_at + dt.timedelta(days=settings.API_TOKEN_DAYS),
            "last_used_at": token.last_used_at, "revoked": token.revoked_at is not None}


class TokenListOut(PageOut):
    items: list[TokenInfoOut]


@api.get("/auth/tokens", response=TokenListOut, tags=["auth"])
@api_permission(SIGNED_IN)
def auth_tokens(request: HttpRequest, page: int = 1, page_size: int = 50) -> dict:
    """Your API tokens (the practice's, for an owner), newest first; never the secrets."""
    rows, meta = paginate(api_token_list(user=request.user), page=page, page_size=page_size)
    return {**meta, "items": [_token_out(t) for t in rows]}


@api.delete("/auth/tokens/{token_id}", response=TokenInfoOut, tags=["auth"])
@api_permission(SIGNED_IN)
def auth_token_revoke(request: HttpRequest, token_id: int) -> dict:
    """Revoke one of your tokens (an owner: any of the practice's)."""
    token = api_token_list(user=request.user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    return _token_out(api_token_revoke(token=token, ctx=AuditContext.from_request(request)))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "Not allowed"}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404):
    # get_object_or_404 in a route: the documented {"errors": ...} body, as NotFound answers
    # (ninja's own default is {"detail": "Not Found"}, which no route documents).
    return api.create_response(request, {"errors": {"__all__": "Not found."}}, status=404)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError):
    # One handler for every domain error: the subclass says the status (422/403/409/404),
    # the body is the documented {"errors": {field: message}}. Never a 500.
    return api.create_response(request, {"errors": error_messages(exc)}, status=exc.status_code)


@api.exception_handler(PermissionError)
def _builtin_not_allowed(request: HttpRequest, exc: PermissionError):
    # The older style some services still raise for another practice's object; it means
    # NotAllowed, so it answers like one until those raise sites move to the core classes.
    message = str(exc) or NotAllowed.default_message()
    return api.create_response(request, {"errors": {"__all__": message}}, status=403)


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def _number_out_of_range(request: HttpRequest, exc: Exception):
    # An id or number beyond what the database stores (64 bits): bad input, not a 500.
    # SQLite raises OverflowError before the query; PostgreSQL a DataError ("out of range").
    return api.create_response(request, {"errors": {
        "__all__": "A number in the request is out of range (ids go up to 2^63 - 1)."}},
        status=422)


@api.exception_handler(DjangoValidationError)
def _invalid(request: HttpRequest, exc: DjangoValidationError):
    if hasattr(exc, "message_dict"):
        errors = {field: " ".join(msgs) for field, msgs in exc.message_dict.items()}
    else:
        errors = {"__all__": " ".join(exc.messages)}
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request: HttpRequest, exc: NinjaValidationError):
    # The same {"errors": {field: message}} shape as the services' own refusals.
    errors: dict[str, str] = {}
    for err in exc.errors:
        loc = [str(part) for part in err.get("loc", []) if part not in ("body", "payload", "query")]
        errors[".".join(loc) or "__all__"] = err.get("msg", "invalid")
    return api.create_response(request, {"errors": errors}, status=422)


def _add_routers() -> None:
    api.add_router("/practice", practice_router)
    api.add_router("/clients", clients_router)
    # /clients/{id}/insurance-wizard...: the wizard is eligibility's (it runs the check), under
    # the clients prefix its paths have always had.
    api.add_router("/clients", wizard_router)
    api.add_router("/clients", estimates_router)  # /clients/{id}/good-faith-estimates
    api.add_router("/appointments", appointments_router)
    api.add_router("/billing", billing_router)
    api.add_router("/billing", autobilling_router)  # /billing/auto-billing, /billing/runs
    api.add_router("/claims", claims_router)
    api.add_router("/clearinghouse", clearinghouse_router)
    api.add_router("/remittances", remittance_router)
    api.add_router("/ledger", ledger_router)
    api.add_router("/invoices", invoices_router)
    api.add_router("/invoices", invoices_pdf_router)  # /invoices/{id}/pdf
    api.add_router("/superbills", superbills_router)
    api.add_router("/clients", statements_router)  # /clients/{id}/statement.pdf, …/send
    api.add_router("", eligibility_router)  # /clients/{id}/eligibility-checks, /usage-fees
    api.add_router("", payments_router)  # /payments/account…, /clients/{id}/payment-method…


_add_routers()
