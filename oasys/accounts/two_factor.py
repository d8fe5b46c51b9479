"""Two-factor sign-in (django-otp): an authenticator app's codes (TOTP) with ten one-time
recovery codes, a practice's requirement of it, and checking a code at login or when an API
token is asked for. Reads and writes of it live here together because they are few and
always used together; each write is audited."""

from __future__ import annotations

import base64
import io

import segno
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditAction, Practice, User

from .models import PracticeSecurity

APP_DEVICE = "authenticator app"
RECOVERY_DEVICE = "recovery codes"
RECOVERY_CODES = 10


def two_factor_on(*, user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def practice_requires_two_factor(*, practice: Practice) -> bool:
    return PracticeSecurity.objects.filter(practice=practice, require_two_factor=True).exists()


def two_factor_pending_device(*, user: User) -> TOTPDevice:
    """The authenticator device being set up (unconfirmed until a first code matches)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def two_factor_qr_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code for the authenticator app to scan."""
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(out, kind="svg", scale=5, xmldecl=False,
                                                  svgns=True, title="Two-factor QR code")
    return out.getvalue().decode()


def two_factor_secret(*, device: TOTPDevice) -> str:
    """The key in base32, for typing into an app that cannot scan."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def two_factor_confirm(*, user: User, code: str, ctx: AuditContext) -> list[str]:
    """Turn two-factor on once the app's first code matches; answers the ten recovery codes
    (shown once). InvalidInput for a wrong code, nothing changed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise Conflict("Start the set-up again: no authenticator is waiting for a code.")
    allowed, _ = device.verify_is_allowed()
    if not allowed:  # django-otp's throttle: each failure doubles the wait
        raise InvalidInput(errors={"code": "Too many wrong codes: wait a few seconds and "
                                           "try the current one."})
    if not device.verify_token((code or "").strip().replace(" ", "")):
        raise InvalidInput(errors={"code": "That code does not match; codes change every 30 "
                                           "seconds, try the current one."})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="two_factor",
                     object_type="User", object_id=user.pk, detail={"on": True})
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def two_factor_recovery_codes_renew(*, user: User, ctx: AuditContext) -> list[str]:
    if not two_factor_on(user=user):
        raise Conflict("Turn two-factor sign-in on first.")
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="two_factor",
                     object_type="User", object_id=user.pk, detail={"recovery_renewed": True})
    return codes


def two_factor_disable(*, user: User, code: str, ctx: AuditContext) -> None:
    """Turn it off with a current code (or a recovery code); refused where the practice
    requires it."""
    if user.practice and practice_requires_two_factor(practice=user.practice):
        raise Conflict("Your practice requires two-factor sign-in.")
    if two_factor_match(user=user, code=code) is None:
        raise InvalidInput(errors={"code": "That code does not match."})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="two_factor",
                     object_type="User", object_id=user.pk, detail={"on": False})


def two_factor_match(*, user: User, code: str):
    """The confirmed device a code is good for (a recovery code is used up), or None.
    django-otp throttles each device after failures."""
    code = (code or "").strip().replace(" ", "")
    return match_token(user, code) if code else None


def practice_two_factor_require(*, practice: Practice, required: bool,
                                ctx: AuditContext) -> PracticeSecurity:
    with transaction.atomic():
        row, _ = PracticeSecurity.objects.select_for_update().get_or_create(practice=practice)
        row.require_two_factor = bool(required)
        row.save()
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="practice_security",
                     object_type="Practice", object_id=practice.pk,
                     detail={"require_two_factor": row.require_two_factor})
    return row
