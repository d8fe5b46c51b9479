"""Invitations to join a practice's team. The token is never stored, only its hash; an
invitation is open until accepted, revoked or past `expires_at` (a week from its last send).
One open invitation per address and practice, by constraint."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone

from oasys.core.models import PracticeScoped, Role


class InvitationState(models.TextChoices):
    OPEN = "open", "Waiting"
    EXPIRED = "expired", "Expired"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"


class Invitation(PracticeScoped):
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    sends = models.PositiveSmallIntegerField(default=1)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")  # the account accepting it made

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_open_once"),
        ]

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def state(self, now=None) -> str:
        if self.accepted_at:
            return InvitationState.ACCEPTED
        if self.revoked_at:
            return InvitationState.REVOKED
        return InvitationState.EXPIRED if (now or timezone.now()) >= self.expires_at \
            else InvitationState.OPEN

    def state_label(self) -> str:
        return InvitationState(self.state()).label


class PracticeSecurity(models.Model):
    """A practice's security choices (no row: the defaults)."""

    practice = models.OneToOneField("core.Practice", on_delete=models.PROTECT,
                                    related_name="security")
    # Everyone must use two-factor sign-in: whoever has not set it up is sent to do so.
    require_two_factor = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)


class StartedVia(models.TextChoices):
    SIGNUP = "signup", "Sign-up page"
    OPERATOR = "operator", "The operator (oasys practice create)"


class PracticeStart(PracticeScoped):
    """How a practice started on this server, and its first steps: a sign-up's owner cannot
    log in until `verified_at` (the link in the verification email); the owner's home page
    shows the setup checklist until it is all done or `checklist_dismissed_at`. Practices
    from before (the demo's, older installs) have no row and no checklist."""

    owner = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=20, choices=StartedVia.choices)
    verified_at = models.DateTimeField(null=True, blank=True)
    checklist_dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practice"], name="practice_starts_once")]
