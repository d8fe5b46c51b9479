"""Writes of accounts: a new practice with its owner (the operator's `oasys practice create`
and the sign-up page), a person setting or changing their password, and the owner putting
the setup checklist away. Each writes an audit row; none puts a
password or a link in it."""

from __future__ import annotations

import dataclasses
import zoneinfo

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction, Practice, Role, User
from oasys.core.services import practice_create

from .models import PracticeStart, StartedVia

DEFAULT_TIME_ZONE = "America/New_York"


def _slug_for(name: str) -> str:
    base = (slugify(name) or "practice")[:50]
    slug, n = base, 1
    while Practice.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean(name: str, email: str, time_zone: str) -> tuple[str, str, str]:
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = "Give the practice a name."
    elif len(name) > 200:
        errors["name"] = "The name is at most 200 characters."
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["owner_email"] = "Give the owner's email address."
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["owner_email"] = "A user with this email exists already."
    time_zone = (time_zone or DEFAULT_TIME_ZONE).strip()
    if time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = "Give a time zone such as America/Chicago."
    if errors:
        raise InvalidInput(errors=errors)
    return name, email, time_zone


def practice_onboard(*, name: str, owner_email: str, ctx: AuditContext,
                     owner_first_name: str = "", owner_last_name: str = "",
                     time_zone: str = DEFAULT_TIME_ZONE,
                     via: str = StartedVia.OPERATOR) -> tuple[Practice, User]:
    """A new practice and its owner, who has no password yet: they set one through the
    link `links.set_password_url` makes (or, from the sign-up page, `signup.signup_submit`
    sets it). The practice gets its setup checklist (PracticeStart). Refuses a blank name, a
    bad or taken email, an unknown time zone with InvalidInput, creating nothing."""
    name, email, time_zone = _clean(name, owner_email, time_zone)
    try:
        with transaction.atomic():
            practice = practice_create(name=name, slug=_slug_for(name), timezone_name=time_zone)
            owner = User.objects.create_user(
                email=email, password=None, practice=practice, role=Role.OWNER,
                first_name=owner_first_name.strip()[:100],
                last_name=owner_last_name.strip()[:100])
            PracticeStart.objects.create(practice=practice, owner=owner, via=via)
            audit_record(ctx=dataclasses.replace(ctx, practice_id=practice.pk),
                         action=AuditAction.CREATE, category="practice",
                         object_type="Practice", object_id=practice.pk,
                         detail={"owner_id": owner.pk, "time_zone": time_zone, "via": via})
    except IntegrityError:  # a race for the same email or slug
        raise InvalidInput(errors={"owner_email": "A user with this email exists already."}) \
            from None
    return practice, owner


def password_set(*, user: User, password: str, ctx: AuditContext) -> User:
    """Set the user's password after Django's validators (at least 12 characters, not
    common, not all digits, not like the email). InvalidInput names what is wrong."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidInput(errors={"password": " ".join(exc.messages)}) from None
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="password",
                     object_type="User", object_id=user.pk)
    return user


def setup_checklist_dismiss(*, practice: Practice, ctx: AuditContext) -> None:
    """The owner has seen enough of the setup checklist: the home page stops showing it."""
    with transaction.atomic():
        changed = PracticeStart.objects.filter(
            practice=practice, checklist_dismissed_at__isnull=True).update(
            checklist_dismissed_at=timezone.now())
        if changed:
            audit_record(ctx=ctx, action=AuditAction.UPDATE, category="setup_checklist",
                         object_type="Practice", object_id=practice.pk,
                         detail={"dismissed": True})
