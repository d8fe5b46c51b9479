"""Writes for practices, users and API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import match_token, user_has_device

from .audit import AuditContext, audit_record
from .errors import NotAllowed
from .models import (
    PRACTICE_SUSPENDED_MESSAGE,
    ApiToken,
    AuditAction,
    AuditOutcome,
    Practice,
    Role,
    User,
)


def practice_create(*, name: str, slug: str, timezone_name: str = "America/New_York") -> Practice:
    return Practice.objects.create(name=name, slug=slug, timezone=timezone_name)


def user_create(
    *,
    practice: Practice,
    email: str,
    password: str,
    role: str = Role.OWNER,
    first_name: str = "",
    last_name: str = "",
) -> User:
    return User.objects.create_user(
        email=email,
        password=password,
        practice=practice,
        role=role,
        first_name=first_name,
        last_name=last_name,
    )


class TokenRefused(NotAllowed):
    """Email and password did not identify an active user of a practice."""


def api_token_issue(*, request: HttpRequest, email: str, password: str, otp: str = "",
                    name: str = "api") -> str:
    """Check the credentials (lockout applies) and return a new secret token, shown once.
    An account with two-factor sign-in on must also give a current code (`otp`): a token
    is as good as a login. The token replaces the user's live one of the same `name`, so
    logging in again does not pile up tokens."""
    name = (name or "api").strip()[:60] or "api"
    user = authenticate(request, username=email.strip().lower(), password=password)
    if user is not None and user_has_device(user) and (
            not otp.strip() or match_token(user, otp.strip().replace(" ", "")) is None):
        user = None
    suspended = user is not None and user.practice is not None and user.practice.is_suspended
    if user is None or user.practice_id is None or suspended:
        audit_record(
            ctx=AuditContext(source_ip=request.META.get("REMOTE_ADDR")),
            action=AuditAction.LOGIN_FAILED,
            category="api_token",
            outcome=AuditOutcome.DENIED,
            detail={"practice_suspended": True} if suspended else None,
        )
        # The reason only once the password (and code) matched.
        raise TokenRefused(PRACTICE_SUSPENDED_MESSAGE if suspended
                           else "Invalid email, password or two-factor code")
    key = "oas_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:10],
                                name=name)
        audit_record(
            ctx=AuditContext(
                user_id=user.pk,
                user_email=user.email,
                practice_id=user.practice_id,
                source_ip=request.META.get("REMOTE_ADDR"),
            ),
            action=AuditAction.LOGIN,
            category="api_token",
        )
    return key


def api_token_user(*, key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user", "user__practice")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or token.user.practice_id is None:
        return None
    if token.created_at < timezone.now() - dt.timedelta(days=settings.API_TOKEN_DAYS):
        return None  # expired: ask for a new one with the password (and code)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def api_token_revoke(*, token: ApiToken, ctx: AuditContext) -> ApiToken:
    """Stop a token working (its user or the practice's owner; the API checks who)."""
    if token.revoked_at is None:
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
            audit_record(ctx=ctx, action=AuditAction.UPDATE, category="api_token",
                         object_type="ApiToken", object_id=token.pk, detail={"revoked": True})
        token.refresh_from_db()
    return token


def user_sessions_end(*, user: User, ctx: AuditContext) -> int:
    """Log out everywhere: every session of the user stops matching (the session epoch in
    `User.get_session_auth_hash`) and every API token is revoked. Answers the tokens ended."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=models.F("session_epoch") + 1)
        ended = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now())
        audit_record(ctx=ctx, action=AuditAction.LOGOUT, category="session",
                     object_type="User", object_id=user.pk,
                     detail={"everywhere": True, "tokens_revoked": ended})
    user.refresh_from_db()
    return ended
