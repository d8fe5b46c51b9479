"""Fixtures for the practice app. Prefixed pr_ so they never collide with the shared ones."""

from __future__ import annotations

import secrets

import pytest
from django.db import transaction
from django.test import Client

from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, Practice, Role, User
from oasys.practice.models import Payer
from oasys.practice.search import build_search_text
from oasys.practice.services import payer_directory_load

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def pr_practice(db) -> Practice:
    return Practice.objects.create(name="Calm Waters Therapy", slug="calm-waters")


@pytest.fixture
def pr_other_practice(db) -> Practice:
    return Practice.objects.create(name="Other Practice", slug="other-practice")


def _user(practice: Practice, email: str, role: str, **names) -> User:
    # No password: hashing with Argon2 would only slow the tests down.
    return User.objects.create_user(
        email=email, password=None, practice=practice, role=role, **names
    )


@pytest.fixture
def pr_owner(pr_practice) -> User:
    return _user(pr_practice, "dana@calm.test", Role.OWNER, first_name="Dana", last_name="Reyes")


@pytest.fixture
def pr_biller(pr_practice) -> User:
    return _user(pr_practice, "biller@calm.test", Role.BILLER)


@pytest.fixture
def pr_clinician_user(pr_practice) -> User:
    return _user(pr_practice, "sam@calm.test", Role.CLINICIAN, first_name="Sam", last_name="Lee")


@pytest.fixture
def pr_other_owner(pr_other_practice) -> User:
    return _user(pr_other_practice, "owner@other.test", Role.OWNER)


@pytest.fixture
def pr_ctx(pr_owner) -> AuditContext:
    return AuditContext(
        user_id=pr_owner.pk, user_email=pr_owner.email, practice_id=pr_owner.practice_id
    )


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def pr_client(pr_owner) -> Client:
    return _logged_in(pr_owner)


@pytest.fixture
def pr_biller_client(pr_biller) -> Client:
    return _logged_in(pr_biller)


@pytest.fixture
def pr_clinician_client(pr_clinician_user) -> Client:
    return _logged_in(pr_clinician_user)


def _api_client(user: User) -> Client:
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture
def pr_api(pr_owner) -> Client:
    return _api_client(pr_owner)


@pytest.fixture
def pr_other_api(pr_other_owner) -> Client:
    return _api_client(pr_other_owner)


def make_payer(name: str, claims_id: str, **flags) -> Payer:
    defaults = {
        "payer_id_era": claims_id,
        "payer_id_eligibility": claims_id,
        "supports_claims": True,
        "supports_era": True,
        "supports_eligibility": True,
        "enrollment_required_claims": False,
        "enrollment_required_era": True,
        "enrollment_required_eligibility": False,
    }
    defaults.update(flags)
    return Payer.objects.create(
        name=name,
        payer_id_claims=claims_id,
        search_text=build_search_text(
            name, claims_id, defaults["payer_id_era"], defaults["payer_id_eligibility"]
        ),
        **defaults,
    )


@pytest.fixture
def pr_payer(db) -> Payer:
    return make_payer("Aetna Healthcare", "60054")


@pytest.fixture(scope="module")
def pr_directory(django_db_setup, django_db_blocker):
    """The real shipped payer directory, loaded once per module and rolled back after it."""

    with django_db_blocker.unblock():
        with transaction.atomic():
            result = payer_directory_load()
            yield result
            transaction.set_rollback(True)
