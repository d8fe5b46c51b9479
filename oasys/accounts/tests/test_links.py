"""The operator's set-password link: works for its user, once, for a week; forged or
altered links are nobody's."""

from __future__ import annotations

import pytest
from django.core import signing

from oasys.accounts import links
from oasys.accounts.links import set_password_token, set_password_user
from oasys.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(practice):
    return User.objects.create_user(email="ana@example.com", password=None, practice=practice)


def test_the_link_names_its_user_until_the_password_changes(user):
    token = set_password_token(user=user)
    assert set_password_user(token=token) == user
    user.set_password("quiet river stones 42")
    user.save()
    assert set_password_user(token=token) is None


def test_a_deactivated_user_or_an_altered_link_gets_nothing(user, practice):
    token = set_password_token(user=user)
    assert set_password_user(token=token[:-2] + "xx") is None
    assert set_password_user(token="") is None
    other = User.objects.create_user(email="b@example.com", password=None, practice=practice)
    forged = signing.dumps([other.pk, "0" * 24], salt=links.SALT, compress=True)
    assert set_password_user(token=forged) is None
    user.is_active = False
    user.save()
    assert set_password_user(token=token) is None


def test_the_link_expires_after_its_age(user, monkeypatch):
    token = set_password_token(user=user)
    assert links.MAX_AGE_SECONDS == 7 * 24 * 3600
    assert set_password_user(token=token) == user
    monkeypatch.setattr(links, "MAX_AGE_SECONDS", -1)  # every link is older than that
    assert set_password_user(token=token) is None
