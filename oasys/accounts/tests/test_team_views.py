"""The Team page and the accept page as people use them; owners only; another practice's
members and invitations are 404."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse

from oasys.accounts.models import Invitation
from oasys.billing.tests.test_views_api import user_with, web_for
from oasys.core.models import Role, User

pytestmark = pytest.mark.django_db
TEAM = "/account/team/"
GOOD = "quiet river stones 42"


def test_owner_invites_and_the_invited_person_accepts(owner_client, practice,
                                                      django_capture_on_commit_callbacks):
    page = owner_client.get(TEAM).content.decode()
    assert "What each role may do" in page and "Biller" in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(TEAM, {"email": "bo@example.com", "role": Role.BILLER})
    assert resp.status_code == 302
    assert "bo@example.com" in owner_client.get(TEAM).content.decode()
    link = re.search(r"https?://\S+(/account/invitation/\S+/)", mail.outbox[-1].body).group(1)
    guest = WebClient()
    assert practice.name in guest.get(link).content.decode()
    weak = guest.post(link, {"first_name": "Bo", "last_name": "Lee", "new_password1": "abc",
                             "new_password2": "abc"})
    assert weak.status_code == 200 and not User.objects.filter(email="bo@example.com").exists()
    done = guest.post(link, {"first_name": "Bo", "last_name": "Lee", "new_password1": GOOD,
                             "new_password2": GOOD})
    assert done.status_code == 302
    assert guest.get(reverse("billing:queue")).status_code == 200  # a biller, logged in
    assert guest.get(TEAM).status_code == 403  # not an owner
    assert WebClient().get(link).status_code == 404  # accepted: the link is dead


def test_a_bad_invitation_answers_422_with_the_reason(owner_client, owner):
    resp = owner_client.post(TEAM, {"email": owner.email, "role": Role.BILLER})
    assert resp.status_code == 422 and "has an Oasys account" in resp.content.decode()
    assert not Invitation.objects.exists()


def test_roles_and_deactivation_from_the_page(owner_client, owner, practice):
    member = user_with(practice, Role.CLINICIAN)
    owner_client.post(reverse("accounts:member_role", args=[member.pk]), {"role": Role.BILLER})
    member.refresh_from_db()
    assert member.role == Role.BILLER
    owner_client.post(reverse("accounts:member_active", args=[member.pk]))
    member.refresh_from_db()
    assert not member.is_active
    resp = owner_client.post(reverse("accounts:member_active", args=[owner.pk]), follow=True)
    assert "last owner cannot be deactivated" in resp.content.decode()
    owner.refresh_from_db()
    assert owner.is_active


@pytest.mark.parametrize("role", [Role.BILLER, Role.CLINICIAN, Role.SUPERVISOR])
def test_only_owners_reach_the_team(practice, role):
    web = web_for(user_with(practice, role))
    assert web.get(TEAM).status_code == 403
    assert web.post(TEAM, {"email": "x@example.com", "role": Role.BILLER}).status_code == 403
    assert not Invitation.objects.exists()


def test_another_practices_members_are_404(owner_client, other_owner):
    for name in ("member_role", "member_active"):
        assert owner_client.post(reverse(f"accounts:{name}",
                                         args=[other_owner.pk])).status_code == 404
    other_owner.refresh_from_db()
    assert other_owner.is_active and other_owner.role == Role.OWNER
