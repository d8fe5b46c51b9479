"""Fixtures for the appointments tests, prefixed ap_.

Roles: the owner; a supervised clinician (Casey) whose supervisor is Sam; an unsupervised
clinician (Uma); a biller. Another practice has its own owner, clinician and session."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from oasys.appointments.services import appointment_create
from oasys.clients.models import Client
from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, Role
from oasys.core.services import practice_create, user_create
from oasys.practice.models import Clinician, ServiceType

PASSWORD = "correct horse battery staple"


def ctx_for(user) -> AuditContext:
    return AuditContext(
        user_id=user.pk, user_email=user.email, practice_id=user.practice_id, source_ip="127.0.0.1"
    )


def web_for(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def api_for(user) -> WebClient:
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return WebClient(headers={"Authorization": f"Bearer {key}"})


def past(hours: int = 2) -> dt.datetime:
    return (timezone.now() - dt.timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture
def ap_practice(db):
    return practice_create(name="Sessions Test Practice", slug="ap-test")


@pytest.fixture
def ap_other_practice(db):
    return practice_create(name="Sessions Elsewhere", slug="ap-elsewhere")


@pytest.fixture
def ap_owner(ap_practice):
    return user_create(practice=ap_practice, email="ap-owner@test.example", password=PASSWORD)


@pytest.fixture
def ap_biller(ap_practice):
    return user_create(
        practice=ap_practice, email="ap-biller@test.example", password=PASSWORD, role=Role.BILLER
    )


@pytest.fixture
def ap_supervisor_user(ap_practice):
    return user_create(
        practice=ap_practice, email="ap-sup@test.example", password=PASSWORD, role=Role.SUPERVISOR
    )


@pytest.fixture
def ap_clinician_user(ap_practice):
    return user_create(
        practice=ap_practice, email="ap-clin@test.example", password=PASSWORD, role=Role.CLINICIAN
    )


@pytest.fixture
def ap_other_clinician_user(ap_practice):
    return user_create(
        practice=ap_practice, email="ap-uma@test.example", password=PASSWORD, role=Role.CLINICIAN
    )


@pytest.fixture
def ap_supervisor(ap_practice, ap_supervisor_user):
    return Clinician.objects.create(
        practice=ap_practice,
        user=ap_supervisor_user,
        first_name="Sam",
        last_name="Super",
        credentials="PhD",
    )


@pytest.fixture
def ap_clinician(ap_practice, ap_clinician_user, ap_supervisor):
    """A supervised clinician: her sessions need approval."""
    return Clinician.objects.create(
        practice=ap_practice,
        user=ap_clinician_user,
        first_name="Casey",
        last_name="Trainee",
        credentials="LMSW",
        supervisor=ap_supervisor,
    )


@pytest.fixture
def ap_free_clinician(ap_practice, ap_other_clinician_user):
    """An unsupervised clinician."""
    return Clinician.objects.create(
        practice=ap_practice,
        user=ap_other_clinician_user,
        first_name="Uma",
        last_name="Licensed",
        credentials="LCSW",
    )


@pytest.fixture
def ap_service_type(ap_practice):
    return ServiceType.objects.create(
        practice=ap_practice,
        name="Psychotherapy 53 min",
        cpt_code="90837",
        rate=Decimal("150.00"),
        duration_minutes=53,
        place_of_service="10",
        modifiers="95",
    )


@pytest.fixture
def ap_client(ap_practice):
    return Client.objects.create(
        practice=ap_practice, first_name="Maria", last_name="Lopez", billing_type="insurance"
    )


@pytest.fixture
def ap_ctx(ap_owner):
    return ctx_for(ap_owner)


@pytest.fixture
def ap_make(ap_practice, ap_ctx, ap_client, ap_clinician, ap_service_type):
    """Schedule a session through the service (2 hours ago by default)."""

    def make(**overrides):
        data = {
            "client": ap_client,
            "clinician": ap_clinician,
            "service_type": ap_service_type,
            "start": past(),
        }
        data.update(overrides)
        return appointment_create(practice=ap_practice, ctx=ap_ctx, data=data)

    return make


@pytest.fixture
def ap_appointment(ap_make):
    return ap_make()


@pytest.fixture
def ap_other_appointment(ap_other_practice):
    owner = user_create(practice=ap_other_practice, email="ap-x@test.example", password=PASSWORD)
    clinician = Clinician.objects.create(
        practice=ap_other_practice, user=owner, first_name="Olga", last_name="Other"
    )
    service_type = ServiceType.objects.create(
        practice=ap_other_practice, name="Other", cpt_code="90834", rate=Decimal("100")
    )
    client = Client.objects.create(
        practice=ap_other_practice, first_name="Zed", last_name="Elsewhere"
    )
    return appointment_create(
        practice=ap_other_practice,
        ctx=ctx_for(owner),
        data={
            "client": client,
            "clinician": clinician,
            "service_type": service_type,
            "start": past(),
        },
    )
