"""Team rules: invitations sent, resent (the old link dies), revoked, expired and accepted
once; roles changed; members deactivated with their API tokens; the last owner protected."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from oasys.accounts import team
from oasys.accounts.models import Invitation, InvitationState
from oasys.accounts.selectors import invitation_by_token
from oasys.billing.tests.factories import ctx_for
from oasys.core.errors import Conflict, InvalidInput, NotFound
from oasys.core.models import ApiToken, AuditEvent, Role, User

pytestmark = pytest.mark.django_db
GOOD = "quiet river stones 42"


@pytest.fixture
def ctx(owner, practice):
    return ctx_for(owner, practice)


def _invite(practice, owner, ctx, django_capture_on_commit_callbacks, email="bo@example.com",
            role=Role.BILLER):
    with django_capture_on_commit_callbacks(execute=True):
        inv = team.invitation_send(practice=practice, email=email, role=role, ctx=ctx,
                                   actor=owner)
    token = re.search(r"/account/invitation/([^/\s]+)/", mail.outbox[-1].body).group(1)
    return inv, token


def test_an_invitation_is_emailed_and_accepted_once(practice, owner, ctx,
                                                    django_capture_on_commit_callbacks):
    inv, token = _invite(practice, owner, ctx, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["bo@example.com"]
    assert practice.name in mail.outbox[-1].subject
    assert inv.state() == InvitationState.OPEN and invitation_by_token(token=token) == inv
    assert Invitation.objects.get(pk=inv.pk).token_hash != token  # only the hash is kept
    user = team.invitation_accept(token=token, password=GOOD, first_name="Bo",
                                  last_name="Lee")
    assert (user.practice, user.role, user.first_name) == (practice, Role.BILLER, "Bo")
    assert user.check_password(GOOD)
    inv.refresh_from_db()
    assert inv.state() == InvitationState.ACCEPTED and inv.user == user
    with pytest.raises(NotFound):
        team.invitation_accept(token=token, password=GOOD, first_name="X", last_name="Y")
    assert User.objects.filter(email="bo@example.com").count() == 1


def test_a_weak_password_on_accepting_makes_no_account(practice, owner, ctx,
                                                       django_capture_on_commit_callbacks):
    inv, token = _invite(practice, owner, ctx, django_capture_on_commit_callbacks)
    with pytest.raises(InvalidInput):
        team.invitation_accept(token=token, password="short", first_name="Bo", last_name="L")
    assert not User.objects.filter(email="bo@example.com").exists()
    assert invitation_by_token(token=token) == inv  # still open


def test_resending_makes_a_new_link_and_the_old_one_dies(practice, owner, ctx,
                                                         django_capture_on_commit_callbacks):
    inv, old = _invite(practice, owner, ctx, django_capture_on_commit_callbacks)
    again, new = _invite(practice, owner, ctx, django_capture_on_commit_callbacks,
                         role=Role.CLINICIAN)  # inviting the address again resends
    assert again.pk == inv.pk and again.sends == 2 and again.role == Role.CLINICIAN
    assert invitation_by_token(token=old) is None and invitation_by_token(token=new) == inv


def test_expired_and_revoked_links_do_not_work(practice, owner, ctx,
                                               django_capture_on_commit_callbacks):
    inv, token = _invite(practice, owner, ctx, django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=inv.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1))
    inv.refresh_from_db()
    assert inv.state() == InvitationState.EXPIRED and invitation_by_token(token=token) is None
    with pytest.raises(NotFound):
        team.invitation_accept(token=token, password=GOOD, first_name="B", last_name="L")
    with django_capture_on_commit_callbacks(execute=True):
        team.invitation_resend(invitation=inv, ctx=ctx)
    inv.refresh_from_db()
    assert inv.state() == InvitationState.OPEN
    team.invitation_revoke(invitation=inv, ctx=ctx)
    inv.refresh_from_db()
    assert inv.state() == InvitationState.REVOKED
    with pytest.raises(Conflict):
        team.invitation_resend(invitation=inv, ctx=ctx)


@pytest.mark.parametrize(("email", "role", "field"), [
    ("nope", Role.BILLER, "email"), ("x@example.com", "boss", "role"),
])
def test_bad_invitations_are_refused(practice, owner, ctx, email, role, field):
    with pytest.raises(InvalidInput) as err:
        team.invitation_send(practice=practice, email=email, role=role, ctx=ctx, actor=owner)
    assert field in err.value.errors and not Invitation.objects.exists()


def test_an_address_with_an_account_is_not_invited(practice, owner, ctx):
    with pytest.raises(InvalidInput, match="has an Oasys account"):
        team.invitation_send(practice=practice, email=owner.email.upper(), role=Role.BILLER,
                             ctx=ctx, actor=owner)


def test_the_last_owner_keeps_the_role_and_stays_active(practice, owner, ctx):
    with pytest.raises(Conflict, match="last owner"):
        team.member_role_change(member=owner, role=Role.BILLER, ctx=ctx)
    with pytest.raises(Conflict, match="last owner"):
        team.member_deactivate(member=owner, ctx=ctx)
    second = User.objects.create_user(email="o2@example.com", password=None,
                                      practice=practice, role=Role.OWNER)
    team.member_role_change(member=owner, role=Role.BILLER, ctx=ctx)
    owner.refresh_from_db()
    assert owner.role == Role.BILLER
    with pytest.raises(Conflict):
        team.member_deactivate(member=second, ctx=ctx)
    assert AuditEvent.objects.filter(category="team").count() == 1


def test_deactivating_revokes_tokens_and_reactivating_does_not_revive_them(practice, owner,
                                                                          ctx):
    member = User.objects.create_user(email="c@example.com", password=GOOD, practice=practice,
                                      role=Role.CLINICIAN)
    ApiToken.objects.create(user=member, key_hash="a" * 64, prefix="oas_a")
    team.member_deactivate(member=member, ctx=ctx)
    assert not member.is_active
    assert not ApiToken.objects.filter(user=member, revoked_at__isnull=True).exists()
    team.member_reactivate(member=member, ctx=ctx)
    assert member.is_active
    assert not ApiToken.objects.filter(user=member, revoked_at__isnull=True).exists()
