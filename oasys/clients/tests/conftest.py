"""Fixtures for the clients tests, prefixed cl_ so they never collide with shared ones.

Data is built through core.services and the practice models, like the product does."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from django.test import Client as WebClient

from oasys.clients.services import client_create
from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, Role
from oasys.core.services import practice_create, user_create
from oasys.practice.models import Payer, ServiceType
from oasys.practice.search import build_search_text

PASSWORD = "correct horse battery staple"


def valid_client_data(**overrides) -> dict:
    data = {
        "first_name": "Maria",
        "last_name": "O'Neil-Smith",
        "date_of_birth": dt.date(1985, 4, 12),
        "gender": "F",
        "email": "maria@example.com",
        "phone": "(212) 555-0147",
        "address1": "123 Main St",
        "address2": "Apt 4",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62701",
        "billing_type": "insurance",
        "is_draft": False,
        "referring_provider_npi": "",
    }
    data.update(overrides)
    return data


def subscriber_data(**overrides) -> dict:
    data = {
        "relationship": "spouse",
        "subscriber_first_name": "John",
        "subscriber_last_name": "O'Neil-Smith",
        "subscriber_date_of_birth": dt.date(1982, 1, 2),
        "subscriber_gender": "M",
        "subscriber_address1": "123 Main St",
        "subscriber_address2": "",
        "subscriber_city": "Springfield",
        "subscriber_state": "IL",
        "subscriber_zip_code": "62701",
    }
    data.update(overrides)
    return data


def api_client_for(user) -> WebClient:
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return WebClient(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def cl_practice(db):
    return practice_create(name="Clients Test Counseling", slug="cl-test")


@pytest.fixture
def cl_other_practice(db):
    return practice_create(name="Clients Elsewhere", slug="cl-elsewhere")


@pytest.fixture
def cl_owner(cl_practice):
    return user_create(
        practice=cl_practice,
        email="cl-owner@test.example",
        password=PASSWORD,
        first_name="Dana",
        last_name="Reyes",
    )


@pytest.fixture
def cl_biller(cl_practice):
    return user_create(
        practice=cl_practice, email="cl-biller@test.example", password=PASSWORD, role=Role.BILLER
    )


@pytest.fixture
def cl_clinician_user(cl_practice):
    return user_create(
        practice=cl_practice, email="cl-clin@test.example", password=PASSWORD, role=Role.CLINICIAN
    )


@pytest.fixture
def cl_other_owner(cl_other_practice):
    return user_create(practice=cl_other_practice, email="cl-other@test.example", password=PASSWORD)


@pytest.fixture
def cl_web(cl_owner):
    web = WebClient()
    web.force_login(cl_owner)
    return web


@pytest.fixture
def cl_api(cl_owner):
    return api_client_for(cl_owner)


@pytest.fixture
def cl_ctx(cl_owner, cl_practice):
    return AuditContext(
        user_id=cl_owner.pk,
        user_email=cl_owner.email,
        practice_id=cl_practice.pk,
        source_ip="127.0.0.1",
    )


@pytest.fixture
def cl_service_type(cl_practice):
    return ServiceType.objects.create(
        practice=cl_practice,
        name="Psychotherapy 53 min",
        cpt_code="90837",
        rate=Decimal("150.00"),
        duration_minutes=53,
    )


@pytest.fixture
def cl_service_type_2(cl_practice):
    return ServiceType.objects.create(
        practice=cl_practice,
        name="Intake",
        cpt_code="90791",
        rate=Decimal("200.00"),
        duration_minutes=60,
    )


@pytest.fixture
def cl_other_service_type(cl_other_practice):
    return ServiceType.objects.create(
        practice=cl_other_practice,
        name="Elsewhere therapy",
        cpt_code="90834",
        rate=Decimal("99.00"),
    )


def make_payer(name: str, payer_id: str) -> Payer:
    """A directory payer, with the search text the practice app's payer search reads."""
    search_text = build_search_text(name, payer_id)
    return Payer.objects.create(
        name=name, payer_id_claims=payer_id, supports_claims=True, search_text=search_text
    )


@pytest.fixture
def cl_payer(db):
    return make_payer("Aetna Test Plans", "60054")


@pytest.fixture
def cl_payer_2(db):
    return make_payer("Blue Cross Test", "84980")


@pytest.fixture
def cl_client(cl_practice, cl_ctx):
    return client_create(practice=cl_practice, ctx=cl_ctx, data=valid_client_data())


@pytest.fixture
def cl_other_client(cl_other_practice, cl_other_owner):
    ctx = AuditContext(user_id=cl_other_owner.pk, practice_id=cl_other_practice.pk)
    return client_create(
        practice=cl_other_practice,
        ctx=ctx,
        data=valid_client_data(first_name="Zed", last_name="Elsewhere"),
    )
