"""Writes of a practice's team: invitations (sent, resent, revoked, accepted), a member's
role, and deactivating a member. The owner does these (the views and API check the role);
the rules that protect the practice are here: the last active owner can neither lose the
role nor be deactivated, and a deactivated member's API tokens die with the account."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput, NotFound
from oasys.core.models import ApiToken, AuditAction, Practice, Role, User
from oasys.core.outbound_mail import email_send

from .models import Invitation, InvitationState
from .selectors import invitation_by_token
from .services import password_set

INVITATION_DAYS = 7


def _email_clean(raw: str) -> str:
    email = (raw or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(errors={"email": "Give an email address."}) from None
    return email


def _role_clean(raw: str) -> str:
    if raw not in Role.values:
        raise InvalidInput(errors={"role": "Choose a role: " + ", ".join(
            str(label) for label in Role.labels) + "."})
    return raw


def _send(invitation: Invitation, token: str, ctx: AuditContext) -> None:
    path = reverse("accounts:accept", args=[token])
    inviter = invitation.invited_by.display_name if invitation.invited_by else "The owner"
    email_send(
        practice=invitation.practice, to=invitation.email, kind="invitation",
        subject=f"Join {invitation.practice.name} on Oasys", template="email/notice",
        object_type="Invitation", object_id=invitation.pk, ctx=ctx,
        context={
            "heading": f"You are invited to {invitation.practice.name}",
            "paragraphs": [
                f"{inviter} invited you to {invitation.practice.name}'s billing on Oasys as "
                f"{Role(invitation.role).label.lower()}.",
                f"Choose a password with the link below to accept. It works for "
                f"{INVITATION_DAYS} days."],
            "action_url": f"{settings.OASYS_BASE_URL}{path}",
            "action_label": "Accept the invitation"})


def invitation_send(*, practice: Practice, email: str, role: str, ctx: AuditContext,
                    actor: User) -> Invitation:
    """Invite `email` to the practice with `role` and email the link. An address with an
    open (or expired) invitation gets that one sent again; one that has an account already
    is refused."""
    email, role = _email_clean(email), _role_clean(role)
    if User.objects.filter(email__iexact=email).exists():
        raise InvalidInput(errors={"email": "This address has an Oasys account already."})
    pending = Invitation.objects.filter(practice=practice, email=email,
                                        accepted_at__isnull=True,
                                        revoked_at__isnull=True).first()
    if pending is not None:
        Invitation.objects.filter(pk=pending.pk).update(role=role)
        pending.role = role
        return invitation_resend(invitation=pending, ctx=ctx)
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                practice=practice, email=email, role=role, invited_by=actor,
                token_hash=Invitation.hash_token(token),
                expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS))
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="invitation",
                         object_type="Invitation", object_id=invitation.pk,
                         detail={"role": role})
            _send(invitation, token, ctx)
    except IntegrityError:  # the same address invited twice at once
        raise Conflict("This address was just invited.") from None
    return invitation


def invitation_resend(*, invitation: Invitation, ctx: AuditContext) -> Invitation:
    """A new link (the old one stops working) valid another week, emailed again."""
    if invitation.state() in (InvitationState.ACCEPTED, InvitationState.REVOKED):
        raise Conflict(f"This invitation was {invitation.state()}; send a new one.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk).update(
            token_hash=Invitation.hash_token(token), sent_at=now, sends=invitation.sends + 1,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS))
        invitation.refresh_from_db()
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invitation",
                     object_type="Invitation", object_id=invitation.pk,
                     detail={"resent": invitation.sends})
        _send(invitation, token, ctx)
    return invitation


def invitation_revoke(*, invitation: Invitation, ctx: AuditContext) -> Invitation:
    if invitation.state() in (InvitationState.ACCEPTED, InvitationState.REVOKED):
        raise Conflict(f"This invitation was {invitation.state()} already.")
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invitation",
                     object_type="Invitation", object_id=invitation.pk,
                     detail={"revoked": True})
    invitation.refresh_from_db()
    return invitation


def invitation_accept(*, token: str, password: str, first_name: str, last_name: str,
                      source_ip: str | None = None) -> User:
    """The invited person's account, with the invitation's role and the password they chose
    (Django's validators). Refused for a dead link; the account is made once."""
    with transaction.atomic():
        invitation = invitation_by_token(token=token)
        if invitation is None:
            raise NotFound("This invitation link no longer works.")
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state() != InvitationState.OPEN:
            raise NotFound("This invitation link no longer works.")
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise Conflict("This address has an Oasys account already.")
        user = User.objects.create_user(
            email=invitation.email, password=None, practice=invitation.practice,
            role=invitation.role, first_name=(first_name or "").strip()[:100],
            last_name=(last_name or "").strip()[:100])
        ctx = AuditContext(user_id=user.pk, user_email=user.email,
                           practice_id=invitation.practice_id, source_ip=source_ip)
        password_set(user=user, password=password, ctx=ctx)  # InvalidInput rolls it all back
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(),
                                                           user=user)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invitation",
                     object_type="Invitation", object_id=invitation.pk,
                     detail={"accepted": True, "user_id": user.pk})
    return user


def _other_active_owners(member: User) -> bool:
    return User.objects.filter(practice_id=member.practice_id, role=Role.OWNER,
                               is_active=True).exclude(pk=member.pk).exists()


def member_role_change(*, member: User, role: str, ctx: AuditContext) -> User:
    role = _role_clean(role)
    if member.role == role:
        return member
    if member.role == Role.OWNER and not _other_active_owners(member):
        raise Conflict("The practice's last owner keeps the owner role; make someone else "
                       "owner first.")
    with transaction.atomic():
        before = member.role
        User.objects.filter(pk=member.pk).update(role=role)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="team",
                     object_type="User", object_id=member.pk,
                     detail={"role": {"before": before, "after": role}})
    member.refresh_from_db()
    return member


def member_deactivate(*, member: User, ctx: AuditContext) -> User:
    """The member can no longer log in, and every API token of theirs is revoked (turning
    them on again does not revive those tokens)."""
    if not member.is_active:
        return member
    if member.role == Role.OWNER and not _other_active_owners(member):
        raise Conflict("The practice's last owner cannot be deactivated.")
    with transaction.atomic():
        now = timezone.now()
        User.objects.filter(pk=member.pk).update(is_active=False)
        tokens = ApiToken.objects.filter(user=member, revoked_at__isnull=True).update(
            revoked_at=now)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="team",
                     object_type="User", object_id=member.pk,
                     detail={"active": False, "tokens_revoked": tokens})
    member.refresh_from_db()
    return member


def member_reactivate(*, member: User, ctx: AuditContext) -> User:
    if member.is_active:
        return member
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(is_active=True)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="team",
                     object_type="User", object_id=member.pk, detail={"active": True})
    member.refresh_from_db()
    return member
