from datetime import timedelta

import pytest
from django.conf import settings as live
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from oasys.core.models import ApiToken, AuditEvent
from oasys.core.services import user_create

pytestmark = pytest.mark.django_db


def _login(client, email, password):
    return client.post(reverse("core:login"), {"username": email, "password": password})


def test_login_with_email_and_password_and_audit(client, owner):
    resp = _login(client, "OWNER@test.example ", "correct horse battery")
    assert resp.status_code == 302
    assert client.session.get("_auth_user_id") == str(owner.pk)
    event = AuditEvent.objects.get(action="login")
    assert event.user_id_ref == owner.pk and event.practice_id_ref == owner.practice_id


def test_wrong_password_is_refused_and_audited(client, owner):
    resp = _login(client, "owner@test.example", "nope")
    assert resp.status_code == 200
    assert b"Please enter a correct" in resp.content
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_failed", outcome="denied").count() == 1


def test_lockout_after_repeated_failures_even_with_right_password(client, owner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "owner@test.example", "wrong")
    resp = _login(client, "owner@test.example", "correct horse battery")
    assert resp.status_code == 429
    assert b"Too many failed attempts" in resp.content
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2_in_production_settings(settings, practice):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = user_create(practice=practice, email="x@y.example", password="long enough pass")
    assert user.password.startswith("argon2$")


def test_idle_logout_after_fifteen_minutes(settings):
    assert live.SESSION_COOKIE_AGE == 15 * 60
    assert live.SESSION_SAVE_EVERY_REQUEST is True  # the 15 minutes restart at each request


def test_idle_session_expires_on_the_server(client, owner, settings):
    client.force_login(owner)
    assert client.get(reverse("practice:setup")).status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    resp = client.get(reverse("practice:setup"))
    assert resp.status_code == 302 and reverse("core:login") in resp["Location"]


def test_logout_ends_the_session_on_the_server(client, owner):
    client.force_login(owner)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    resp = client.post(reverse("core:logout"))
    assert resp.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # The old cookie no longer opens anything.
    client.cookies["sessionid"] = key
    assert client.get(reverse("practice:setup")).status_code == 302


def test_logout_requires_post(client, owner):
    client.force_login(owner)
    assert client.get(reverse("core:logout")).status_code == 405


def test_api_token_round_trip(client, owner):
    resp = client.post(
        "/api/v1/auth/token",
        {"email": "owner@test.example", "password": "correct horse battery"},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    token = resp.json()["token"]
    ok = client.get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    bad = client.get("/api/v1/clients", headers={"Authorization": "Bearer oas_wrong"})
    assert bad.status_code == 401


def test_api_token_refused_for_bad_password(client, owner):
    resp = client.post(
        "/api/v1/auth/token",
        {"email": "owner@test.example", "password": "nope"},
        content_type="application/json",
    )
    assert resp.status_code == 401
    assert "token" not in resp.json()


def test_openapi_document_is_served(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.json()["info"]["title"] == "Oasys Billing API"


def test_an_api_token_expires_after_api_token_days(client, owner, settings):
    resp = client.post("/api/v1/auth/token",
                       {"email": "owner@test.example", "password": "correct horse battery"},
                       content_type="application/json")
    token = resp.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    settings.API_TOKEN_DAYS = 30
    ApiToken.objects.filter(user=owner).update(
        created_at=timezone.now() - timedelta(days=29, hours=23))
    assert client.get("/api/v1/clients", headers=auth).status_code == 200
    ApiToken.objects.filter(user=owner).update(
        created_at=timezone.now() - timedelta(days=30, minutes=1))
    assert client.get("/api/v1/clients", headers=auth).status_code == 401
