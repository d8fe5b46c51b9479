"""Reads of accounts: a practice's team and its invitations, the invitation a link names,
and a new practice's setup checklist."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from oasys.clients.models import Client
from oasys.core.models import Practice, Role, User
from oasys.payments.models import AccountStatus, PaymentAccount
from oasys.practice.models import ServiceType
from oasys.practice.selectors import accepted_payers_exist, provider_profile_completeness

from .models import Invitation, InvitationState, PracticeStart


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


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    why: str  # one line: what it is for
    done: bool
    url_name: str  # the page that does it


def setup_checklist(*, practice: Practice) -> list[ChecklistItem]:
    """The first steps of a new practice, each done or not from the data itself (nothing
    is ticked by hand): provider information complete, a payer accepted, an active service
    type, Stripe connected and taking payments, a first client."""
    return [
        ChecklistItem("provider", "Provider information",
                      "Your NPI, tax ID, taxonomy and billing address go on every claim.",
                      not provider_profile_completeness(practice), "practice:provider"),
        ChecklistItem("payers", "Accepted payers",
                      "The insurance companies you bill, and enrollment with each.",
                      accepted_payers_exist(practice=practice), "practice:payers"),
        ChecklistItem("service_types", "Service types",
                      "What you bill for: the CPT code and your rate for each kind of session.",
                      ServiceType.objects.filter(practice=practice, is_active=True).exists(),
                      "practice:service_types"),
        ChecklistItem("payments", "Payment processing",
                      "Connect Stripe so clients can pay invoices by card.",
                      PaymentAccount.objects.filter(practice=practice,
                                                    status=AccountStatus.ACTIVE).exists(),
                      "payments:processing"),
        ChecklistItem("client", "First client",
                      "Add a client with their insurance, then bill their sessions.",
                      Client.objects.filter(practice=practice).exists(), "clients:new"),
    ]


def setup_checklist_shown(*, practice: Practice, user: User) -> bool:
    """The owner's home page shows the checklist while the practice is new here (started by
    sign-up or `oasys practice create`), not dismissed, and not all done."""
    if user.role != Role.OWNER:
        return False
    if not PracticeStart.objects.filter(practice=practice,
                                        checklist_dismissed_at__isnull=True).exists():
        return False
    return not all(item.done for item in setup_checklist(practice=practice))
