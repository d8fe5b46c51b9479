"""The operator (staff, no practice) with two-factor on, logged in and verified as a person
does it: the password, then a code from the authenticator app."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from oasys.core.models import User

OPERATOR_PASSWORD = "operator horse battery"


def totp_code(user, drift: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, drift=drift):06d}"


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private")}}}


@pytest.fixture
def operator_user(db):
    return User.objects.create_user(email="ops@server.example", password=OPERATOR_PASSWORD,
                                    is_staff=True)


@pytest.fixture
def operator_2fa(operator_user):
    TOTPDevice.objects.create(user=operator_user, name="authenticator app", confirmed=True)
    return operator_user


def operator_login(user) -> WebClient:
    web = WebClient()
    resp = web.post(reverse("core:login"), {"username": user.email,
                                            "password": OPERATOR_PASSWORD})
    assert resp.status_code == 302, resp.content.decode()[:500]
    return web


@pytest.fixture
def operator_client(operator_2fa):
    web = operator_login(operator_2fa)
    resp = web.post(reverse("accounts:two_factor_verify"), {"code": totp_code(operator_2fa)})
    assert resp.status_code == 302
    return web
