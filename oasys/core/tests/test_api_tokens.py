"""API tokens: named, one live token per name (logging in again replaces it), listed and
revoked by their user or the owner, and ended with every session by "log out everywhere"."""

from __future__ import annotations

import json

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from oasys.billing.tests.test_views_api import user_with
from oasys.core.models import ApiToken, AuditEvent, Role

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def _token(user, **extra) -> str:
    resp = WebClient().post("/api/v1/auth/token", json.dumps(
        {"email": user.email, "password": PASSWORD, **extra}), content_type="application/json")
    assert resp.status_code == 200, resp.content
    return resp.json()["token"]


def _as(token: str) -> WebClient:
    return WebClient(headers={"Authorization": f"Bearer {token}"})


def test_logging_in_again_replaces_the_token_of_that_name(owner):
    first = _token(owner)
    second = _token(owner)
    script = _token(owner, name="nightly export")
    assert _as(first).get("/api/v1/clients").status_code == 401
    assert _as(second).get("/api/v1/clients").status_code == 200
    assert _as(script).get("/api/v1/clients").status_code == 200
    assert ApiToken.objects.filter(user=owner, revoked_at__isnull=True).count() == 2


def test_tokens_are_listed_without_secrets_and_revoked(owner, practice):
    biller = user_with(practice, Role.BILLER)
    mine, theirs = _token(owner), _token(biller)
    listed = _as(theirs).get("/api/v1/auth/tokens").json()["items"]
    assert [t["user_email"] for t in listed] == [biller.email]  # a biller sees their own
    assert theirs not in json.dumps(listed) and "expires_at" in listed[0]
    owners = _as(mine).get("/api/v1/auth/tokens").json()["items"]
    assert {t["user_email"] for t in owners} == {owner.email, biller.email}
    biller_token = next(t for t in owners if t["user_email"] == biller.email)
    resp = _as(mine).delete(f"/api/v1/auth/tokens/{biller_token['id']}")
    assert resp.status_code == 200 and resp.json()["revoked"] is True
    assert _as(theirs).get("/api/v1/clients").status_code == 401
    assert AuditEvent.objects.filter(category="api_token", action="update").count() == 1


def test_a_biller_cannot_revoke_the_owners_token(owner, practice):
    biller = user_with(practice, Role.BILLER)
    mine, theirs = _token(owner), _token(biller)
    owner_token = ApiToken.objects.get(user=owner, revoked_at__isnull=True)
    assert _as(theirs).delete(f"/api/v1/auth/tokens/{owner_token.pk}").status_code == 404
    assert _as(mine).get("/api/v1/clients").status_code == 200


def test_log_out_everywhere_ends_other_sessions_and_tokens(owner):
    token = _token(owner)
    laptop, phone = WebClient(), WebClient()
    for web in (laptop, phone):
        web.post(reverse("core:login"), {"username": owner.email, "password": PASSWORD})
        assert web.get("/billing/sessions/").status_code == 200
    resp = laptop.post(reverse("core:logout_everywhere"))
    assert resp.status_code == 302
    assert phone.get("/billing/sessions/").status_code == 302  # sent to log in
    assert laptop.get("/billing/sessions/").status_code == 302
    assert _as(token).get("/api/v1/clients").status_code == 401
    fresh = WebClient()
    fresh.post(reverse("core:login"), {"username": owner.email, "password": PASSWORD})
    assert fresh.get("/billing/sessions/").status_code == 200  # logging in again works


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_the_api_docs_are_behind_login_in_production(owner, settings, path):
    settings.API_DOCS_PUBLIC = False
    assert WebClient().get(path).status_code == 401
    assert WebClient().get(path, headers={"Accept": "text/html"}).status_code == 302
    assert WebClient(headers={"Authorization": "Bearer oas_nope"}).get(path).status_code == 401
    assert _as(_token(owner)).get(path).status_code == 200
    web = WebClient()
    web.force_login(owner)
    assert web.get(path).status_code == 200
    settings.API_DOCS_PUBLIC = True
    assert WebClient().get(path).status_code == 200
