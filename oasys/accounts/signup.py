"""Sign-up: a person starts their own practice (when `OASYS_SIGNUP` allows it), then proves
the email is theirs before they can log in.

    open     anyone may sign up at /account/signup/
    invite   only with a sign-up link the operator made (`oasys practice invite-signup`)
    closed   no page at all; the operator runs `oasys practice create`

The answer to a sign-up is the same whether or not the address has an account (no way to
learn who uses Oasys): a new address gets a practice, an inactive owner and a verification
email; an address waiting for verification gets a fresh link; an address with an account
gets an email saying so. Links are signed with SECRET_KEY, dated, and bound to the
account's state, so a verification link works once and for VERIFY_HOURS."""

from __future__ import annotations

import enum
import hmac

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction, User
from oasys.core.outbound_mail import email_send

from .models import PracticeStart, StartedVia
from .services import password_set, practice_onboard

VERIFY_SALT = "oasys.accounts.verify-email"
INVITE_SALT = "oasys.accounts.signup-invite"
VERIFY_HOURS = 48
INVITE_DAYS = 7


class SignUpOutcome(enum.Enum):
    CREATED = "created"  # a new practice, owner waiting for verification
    RESENT = "resent"  # the address was waiting for verification: a fresh link
    EXISTING = "existing"  # the address has an account: told so by email


def signup_mode() -> str:
    return settings.OASYS_SIGNUP


# --- throttling -------------------------------------------------------------------------------
def signup_throttled(*, source_ip: str | None) -> bool:
    """True once this address has made OASYS_SIGNUP_PER_IP_HOUR sign-ups within the hour;
    counts this one otherwise. Kept in Django's cache (per process unless CACHES names a
    shared one): a brake on scripts, not a wall."""
    key = f"oasys:signup:ip:{source_ip or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > settings.OASYS_SIGNUP_PER_IP_HOUR


# --- the operator's sign-up invitation ------------------------------------------------------
def signup_invite_token(*, email: str) -> str:
    return signing.dumps({"email": email.strip().lower()}, salt=INVITE_SALT, compress=True)


def signup_invite_url(*, email: str) -> str:
    path = reverse("accounts:signup_invited", args=[signup_invite_token(email=email)])
    return f"{settings.OASYS_BASE_URL}{path}"


def signup_invite_email(*, token: str) -> str | None:
    """The address a sign-up link was made for, or None: forged or past INVITE_DAYS."""
    try:
        data = signing.loads(token, salt=INVITE_SALT, max_age=INVITE_DAYS * 86400)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    email = data.get("email") if isinstance(data, dict) else None
    return email if isinstance(email, str) and email else None


# --- verification links -----------------------------------------------------------------------
def _state(user: User) -> str:
    seen = user.last_login.isoformat() if user.last_login else ""
    return salted_hmac(VERIFY_SALT, f"{user.pk}|{user.password}|{seen}|{user.is_active}",
                       algorithm="sha256").hexdigest()[:24]


def verify_url(*, user: User) -> str:
    token = signing.dumps([user.pk, _state(user)], salt=VERIFY_SALT, compress=True)
    return f"{settings.OASYS_BASE_URL}{reverse('accounts:verify', args=[token])}"


def verify_link_user(*, token: str) -> User | None:
    """The owner waiting for verification a link names, or None: forged, expired, used."""
    try:
        pk, state = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_HOURS * 3600)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(state, str):
        return None
    user = User.objects.filter(pk=pk, is_active=False).first()
    if user is None or not hmac.compare_digest(state, _state(user)):
        return None
    waiting = PracticeStart.objects.filter(owner=user, via=StartedVia.SIGNUP,
                                           verified_at__isnull=True).exists()
    return user if waiting else None


# --- emails -----------------------------------------------------------------------------------
def _verification_send(user: User, ctx: AuditContext) -> None:
    email_send(
        practice=user.practice, to=user.email, kind="signup_verify",
        subject="Confirm your email to start with Oasys", template="email/notice",
        object_type="User", object_id=user.pk, ctx=ctx,
        context={
            "heading": f"Welcome to Oasys, {user.first_name or user.email}",
            "paragraphs": [
                f"You signed up {user.practice.name} for billing on Oasys. Confirm this is "
                f"your email address with the link below; it logs you in. It works once, "
                f"for {VERIFY_HOURS} hours.",
                "If you did not sign up, ignore this email: nothing happens without the "
                "link."],
            "action_url": verify_url(user=user),
            "action_label": "Confirm my email"})


def _existing_send(user: User, ctx: AuditContext) -> None:
    if user.practice is None:
        return  # an operator's account: no practice to send from, and nothing to tell
    email_send(
        practice=user.practice, to=user.email, kind="signup_existing",
        subject="You already have an Oasys account", template="email/notice",
        object_type="User", object_id=user.pk, ctx=ctx,
        context={
            "heading": "You already have an account",
            "paragraphs": [
                "Someone, probably you, tried to sign up for Oasys with this email address. "
                "It already has an account, so nothing new was made.",
                "Log in with it, or reset your password from the login page if you forgot "
                "it. If it was not you, ignore this email."],
            "action_url": f"{settings.OASYS_BASE_URL}{reverse('core:login')}",
            "action_label": "Log in"})


# --- the writes -------------------------------------------------------------------------------
def signup_submit(*, practice_name: str, first_name: str, last_name: str, email: str,
                  password: str, source_ip: str | None) -> SignUpOutcome:
    """A sign-up. The caller shows the same page whatever the outcome. InvalidInput (a bad
    name, email or password) changes nothing and sends nothing."""
    email = (email or "").strip().lower()
    existing = User.objects.filter(email__iexact=email).select_related("practice").first()
    if existing is None:
        try:
            return _signup_create(practice_name=practice_name, first_name=first_name,
                                  last_name=last_name, email=email, password=password,
                                  source_ip=source_ip)
        except InvalidInput:
            # the address was taken by a sign-up at the same moment: answer as if it had
            # been taken before; any other refusal is the person's to fix
            existing = User.objects.filter(email__iexact=email).select_related(
                "practice").first()
            if existing is None:
                raise
    # the address has an account
    make_password(password)  # as slow as a real sign-up, so timing tells nothing
    ctx = AuditContext(practice_id=existing.practice_id, source_ip=source_ip)
    waiting = PracticeStart.objects.filter(owner=existing, via=StartedVia.SIGNUP,
                                           verified_at__isnull=True).exists()
    with transaction.atomic():
        if waiting and not existing.is_active:
            _verification_send(existing, ctx)
            outcome = SignUpOutcome.RESENT
        else:
            _existing_send(existing, ctx)
            outcome = SignUpOutcome.EXISTING
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="signup",
                     object_type="User", object_id=existing.pk,
                     detail={"outcome": outcome.value})
    return outcome


def _signup_create(*, practice_name: str, first_name: str, last_name: str, email: str,
                   password: str, source_ip: str | None) -> SignUpOutcome:
    ctx = AuditContext(source_ip=source_ip)
    with transaction.atomic():
        practice, owner = practice_onboard(
            name=practice_name, owner_email=email, owner_first_name=first_name,
            owner_last_name=last_name, via=StartedVia.SIGNUP, ctx=ctx)
        owner_ctx = AuditContext(user_id=owner.pk, user_email=owner.email,
                                 practice_id=practice.pk, source_ip=source_ip)
        password_set(user=owner, password=password, ctx=owner_ctx)  # InvalidInput: all undone
        User.objects.filter(pk=owner.pk).update(is_active=False)  # until the link is opened
        owner.is_active = False
        audit_record(ctx=owner_ctx, action=AuditAction.CREATE, category="signup",
                     object_type="User", object_id=owner.pk,
                     detail={"outcome": SignUpOutcome.CREATED.value})
        _verification_send(owner, owner_ctx)
    return SignUpOutcome.CREATED


def signup_verify(*, token: str, source_ip: str | None) -> User:
    """The owner a verification link names, now active and verified (the caller logs them
    in, which also ends the link: it is bound to the account's state). InvalidInput for a
    forged, expired or used link."""
    with transaction.atomic():
        user = verify_link_user(token=token)
        if user is not None:
            user = User.objects.select_for_update().get(pk=user.pk)
            if user.is_active:  # opened twice at once: the other request won
                user = None
        if user is None:
            raise InvalidInput(errors={"token": "This link no longer works."})
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        PracticeStart.objects.filter(owner=user, verified_at__isnull=True).update(
            verified_at=timezone.now())
        audit_record(ctx=AuditContext(user_id=user.pk, user_email=user.email,
                                      practice_id=user.practice_id, source_ip=source_ip),
                     action=AuditAction.UPDATE, category="signup", object_type="User",
                     object_id=user.pk, detail={"verified": True})
    return user
