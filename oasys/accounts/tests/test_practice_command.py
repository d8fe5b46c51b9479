"""`oasys practice create` and `oasys practice link`, as the operator runs them."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oasys.accounts.links import set_password_user
from oasys.core.models import Practice, User

pytestmark = pytest.mark.django_db


def _practice(*args: str) -> str:
    out = StringIO()
    call_command("practice", *args, stdout=out)
    return out.getvalue()


def _token(text: str) -> str:
    return re.search(r"/account/set-password/([^/\s]+)/", text).group(1)


def test_create_prints_a_link_for_the_owner():
    text = _practice("create", "--name", "Calm Waters", "--owner-email", "ana@example.com",
                     "--owner-name", "Ana Ruiz", "--time-zone", "America/Chicago")
    owner = User.objects.get(email="ana@example.com")
    assert (owner.first_name, owner.last_name) == ("Ana", "Ruiz")
    assert owner.practice == Practice.objects.get(slug="calm-waters")
    assert "slug calm-waters" in text and "7 days" in text
    assert set_password_user(token=_token(text)) == owner
    fresh = _practice("link", "--email", "ANA@example.com")
    assert set_password_user(token=_token(fresh)) == owner


@pytest.mark.parametrize(("args", "message"), [
    (("create", "--name", "", "--owner-email", "ana@example.com"), "Give the practice a name"),
    (("create", "--name", "X", "--owner-email", "nope"), "owner's email"),
    (("create", "--name", "X", "--owner-email", "a@example.com", "--time-zone", "Nowhere"),
     "time zone"),
    (("link", "--email", "ghost@example.com"), "No active user"),
])
def test_refusals_create_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        _practice(*args)
    assert not Practice.objects.exists() and not User.objects.exists()
