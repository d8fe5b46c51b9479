"""The REST API, /api/v1. Every route goes through the same services and selectors as the
screens; token authentication; every object lookup is scoped to the caller's practice."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from .core.api_auth import TokenAuth
from .core.services import TokenRefused, api_token_issue

api = NinjaAPI(
    title="Oasys Billing API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
)


class TokenIn(Schema):
    email: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


@api.post("/auth/token", auth=None, response=TokenOut, tags=["auth"])
def auth_token(request: HttpRequest, payload: TokenIn) -> dict:
    try:
        key = api_token_issue(request=request, email=payload.email, password=payload.password)
    except TokenRefused as exc:
        raise HttpError(401, str(exc)) from exc
    return {"token": key, "token_type": "Bearer"}


def _add_routers() -> None:
    from .appointments.api import router as appointments_router
    from .billing.api import router as billing_router
    from .clients.api import router as clients_router
    from .practice.api import router as practice_router

    api.add_router("/practice", practice_router)
    api.add_router("/clients", clients_router)
    api.add_router("/appointments", appointments_router)
    api.add_router("/billing", billing_router)


_add_routers()
