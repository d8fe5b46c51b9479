"""One-time links that let a person set their password: the operator's link for a new
practice's owner (`oasys practice create`). Signed with SECRET_KEY, dated, and bound to the
account's current password and last login, so a link dies once it has been used (the
password changes) and after its age. Password *reset* uses Django's own tokens (an hour)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import salted_hmac

from oasys.core.models import User

SALT = "oasys.accounts.set-password"
MAX_AGE_SECONDS = 7 * 24 * 3600  # a new owner may open the operator's email days later


def _state(user: User) -> str:
    seen = user.last_login.isoformat() if user.last_login else ""
    return salted_hmac(SALT, f"{user.pk}|{user.password}|{seen}|{user.is_active}").hexdigest()


def set_password_token(*, user: User) -> str:
    return signing.dumps([user.pk, _state(user)[:24]], salt=SALT, compress=True)


def set_password_url(*, user: User) -> str:
    path = reverse("accounts:set_password", args=[set_password_token(user=user)])
    return f"{settings.OASYS_BASE_URL}{path}"


def set_password_user(*, token: str) -> User | None:
    """The active user a link names, or None: forged, expired, or used already."""
    try:
        pk, state = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first() if isinstance(pk, int) else None
    if user is None or not isinstance(state, str):
        return None
    return user if hmac.compare_digest(state, _state(user)[:24]) else None
