"""Reads of accounts: a practice's team and its invitations, and the invitation a link
names."""

from __future__ import annotations

from django.db.models import QuerySet

from oasys.core.models import Practice, User

from .models import Invitation, InvitationState


def team_member_list(*, practice: Practice) -> QuerySet[User]:
    return User.objects.filter(practice=practice).order_by("-is_active", "role", "email")


def team_member_get(*, practice: Practice, user_id: int) -> User:
    """A member of the practice (DoesNotExist for anyone else's: a 404, never a leak)."""
    return User.objects.get(practice=practice, pk=user_id)


def invitation_list(*, practice: Practice) -> QuerySet[Invitation]:
    return Invitation.objects.filter(practice=practice).select_related("invited_by")


def invitation_get(*, practice: Practice, invitation_id: int) -> Invitation:
    return Invitation.objects.get(practice=practice, pk=invitation_id)


def invitation_by_token(*, token: str) -> Invitation | None:
    """The open invitation a link names, or None (unknown, expired, accepted or revoked)."""
    found = (Invitation.objects.select_related("practice")
             .filter(token_hash=Invitation.hash_token(token or "")).first())
    return found if found is not None and found.state() == InvitationState.OPEN else None
