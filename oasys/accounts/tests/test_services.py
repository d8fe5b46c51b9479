"""A new practice with its owner; setting a password through Django's validators."""

from __future__ import annotations

import pytest

from oasys.accounts.services import password_set, practice_onboard
from oasys.core.audit import AuditContext
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditEvent, Practice, Role, User

pytestmark = pytest.mark.django_db
CTX = AuditContext.system(practice_id=None, source="cli")


def test_a_practice_and_its_owner_without_a_password():
    practice, owner = practice_onboard(
        name="  Calm   Waters Therapy ", owner_email="Ana@Example.com",
        owner_first_name="Ana", time_zone="America/Chicago", ctx=CTX)
    assert (practice.name, practice.slug, practice.timezone) == (
        "Calm Waters Therapy", "calm-waters-therapy", "America/Chicago")
    assert (owner.email, owner.role, owner.practice) == ("ana@example.com", Role.OWNER, practice)
    assert not owner.has_usable_password()
    event = AuditEvent.objects.get(category="practice")
    assert event.practice_id_ref == practice.pk and event.detail["owner_id"] == owner.pk
    _, second = practice_onboard(name="Calm Waters Therapy", owner_email="b@example.com",
                                 ctx=CTX)
    assert second.practice.slug == "calm-waters-therapy-2"


@pytest.mark.parametrize(("kw", "field"), [
    ({"name": " "}, "name"),
    ({"owner_email": "not-an-email"}, "owner_email"),
    ({"owner_email": "taken@example.com"}, "owner_email"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
])
def test_bad_input_creates_nothing(kw, field, practice):
    User.objects.create_user(email="taken@example.com", password=None, practice=practice)
    before = (Practice.objects.count(), User.objects.count())
    with pytest.raises(InvalidInput) as err:
        practice_onboard(**{"name": "X", "owner_email": "new@example.com", "ctx": CTX, **kw})
    assert field in err.value.errors
    assert (Practice.objects.count(), User.objects.count()) == before


@pytest.mark.parametrize("password", ["short-pass1", "123456789012345", "password1234",
                                      "ana@example.com1"])
def test_weak_passwords_are_refused(password, practice):
    user = User.objects.create_user(email="ana@example.com", password=None, practice=practice)
    with pytest.raises(InvalidInput) as err:
        password_set(user=user, password=password, ctx=CTX)
    assert "password" in err.value.errors
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_good_password_is_set_and_audited(practice):
    user = User.objects.create_user(email="ana@example.com", password=None, practice=practice)
    password_set(user=user, password="quiet river stones 42", ctx=CTX)
    user.refresh_from_db()
    assert user.check_password("quiet river stones 42")
    assert AuditEvent.objects.filter(category="password", object_id=str(user.pk)).exists()
