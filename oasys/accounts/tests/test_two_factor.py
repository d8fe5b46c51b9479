"""Two-factor sign-in end to end on the web and the API: set up with the app's code, asked
for after the password, recovery codes that work once, the practice's requirement, turning
it off, and an API token that needs the code too."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from oasys.accounts import two_factor as tf
from oasys.billing.tests.factories import ctx_for
from oasys.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"  # the owner fixture's
QUEUE = "/billing/sessions/"


@pytest.fixture(autouse=True)
def _no_throttle(settings, request):
    """django-otp makes each failure double the wait before the next try; these tests type
    a wrong code then the right one at once. The throttle has its own test below."""
    if "throttle" not in request.node.name:
        settings.OTP_TOTP_THROTTLE_FACTOR = 0
        settings.OTP_STATIC_THROTTLE_FACTOR = 0


def _code(user, drift: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, drift=drift):06d}"


def _set_up(web, user) -> list[str]:
    page = web.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    wrong = web.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 422 and not tf.two_factor_on(user=user)
    done = web.post(reverse("accounts:two_factor_setup"), {"code": _code(user)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == tf.RECOVERY_CODES and tf.two_factor_on(user=user)
    return codes


def _login(user) -> WebClient:
    web = WebClient()
    resp = web.post(reverse("core:login"), {"username": user.email, "password": PASSWORD})
    assert resp.status_code == 302
    return web


def test_set_up_then_asked_for_a_code_after_the_password(owner, owner_client):
    codes = _set_up(owner_client, owner)
    web = _login(owner)
    asked = web.get(QUEUE)
    assert asked.status_code == 302 and asked.url.startswith(
        reverse("accounts:two_factor_verify"))
    assert web.get(reverse("accounts:change")).status_code == 302  # nothing else either
    bad = web.post(reverse("accounts:two_factor_verify"), {"code": "123456", "next": QUEUE})
    assert bad.status_code == 422
    ok = web.post(reverse("accounts:two_factor_verify"),
                  {"code": _code(owner, drift=1), "next": QUEUE})
    assert ok.status_code == 302 and ok.url == QUEUE
    assert web.get(QUEUE).status_code == 200
    # a recovery code works once, in a new session
    again = _login(owner)
    assert again.post(reverse("accounts:two_factor_verify"),
                      {"code": codes[0]}).status_code == 302
    assert again.get(QUEUE).status_code == 200
    third = _login(owner)
    assert third.post(reverse("accounts:two_factor_verify"),
                      {"code": codes[0]}).status_code == 422
    assert AuditEvent.objects.filter(category="two_factor", action="login_failed").exists()


def test_an_unverified_session_cannot_renew_recovery_codes_or_turn_it_off(owner, owner_client):
    _set_up(owner_client, owner)
    web = _login(owner)
    renew = web.post(reverse("accounts:two_factor_recovery"))
    assert renew.status_code == 302 and "verify" in renew.url
    off = web.post(reverse("accounts:two_factor_disable"), {"code": "123456"})
    assert off.status_code == 302 and "verify" in off.url
    assert tf.two_factor_on(user=owner)


def test_turning_it_off_needs_a_code(owner, owner_client):
    _set_up(owner_client, owner)
    owner_client.post(reverse("accounts:two_factor_disable"), {"code": "000000"})
    assert tf.two_factor_on(user=owner)
    owner_client.post(reverse("accounts:two_factor_disable"), {"code": _code(owner, drift=1)})
    assert not tf.two_factor_on(user=owner)


def test_a_practice_that_requires_it_sends_everyone_to_set_it_up(owner, owner_client,
                                                                 practice):
    resp = owner_client.post(reverse("accounts:practice_two_factor"), {"required": "on"})
    assert resp.status_code == 302 and tf.practice_requires_two_factor(practice=practice)
    sent = owner_client.get(QUEUE)
    assert sent.status_code == 302 and sent.url.startswith(
        reverse("accounts:two_factor_setup"))
    _set_up(owner_client, owner)
    assert owner_client.get(QUEUE).status_code == 200
    with pytest.raises(Exception, match="requires"):
        tf.two_factor_disable(user=owner, code=_code(owner, drift=1),
                              ctx=ctx_for(owner, practice))


def test_an_api_token_needs_the_code_once_two_factor_is_on(owner, owner_client):
    def token(**extra):
        return WebClient().post("/api/v1/auth/token", json.dumps(
            {"email": owner.email, "password": PASSWORD, **extra}),
            content_type="application/json")

    assert token().status_code == 200
    _set_up(owner_client, owner)
    assert token().status_code == 401
    assert token(otp="000000").status_code == 401
    assert token(otp=_code(owner, drift=1)).status_code == 200


def test_wrong_codes_throttle_the_next_try(owner, owner_client):
    tf.two_factor_pending_device(user=owner)
    owner_client.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
    resp = owner_client.post(reverse("accounts:two_factor_setup"), {"code": _code(owner)})
    assert resp.status_code == 422 and "Too many wrong codes" in resp.content.decode()
    assert not tf.two_factor_on(user=owner)
