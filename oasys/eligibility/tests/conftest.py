"""Fixtures for eligibility tests, prefixed el_: a practice with provider information and an
accepted payer, an insured client, the installed port fake answering with a given 271, and
the product's port pointed at the simulator process."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from oasys.clearinghouse.connection import clearinghouse_port
from oasys.clients.models import InsurancePolicy
from oasys.clients.services import client_create, policy_create
from oasys.core.audit import AuditContext
from oasys.practice.models import AcceptedPayer, Payer, ProviderProfile

FIXTURES = Path(__file__).resolve().parents[3] / "x12" / "tests" / "fixtures"
NPI = "1234567893"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def el_provider(practice):
    return ProviderProfile.objects.create(
        practice=practice, provider_type="organization", organization_name="Calm Mind Therapy",
        npi=NPI, tax_id="371234567", tax_id_type="ein", contact_name="Ana Rivera",
        contact_email="ana@example.com", contact_phone="2175550100", address1="123 Main St",
        city="Springfield", state="IL", zip_code="62701")


@pytest.fixture
def el_payer(practice):
    payer = Payer.objects.create(name="Sunrise Health", payer_id_claims="SUN01",
                                 payer_id_eligibility="SUNEL", supports_eligibility=True)
    AcceptedPayer.objects.create(practice=practice, payer=payer)
    return payer


@pytest.fixture
def el_ctx(practice, owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)


@pytest.fixture
def el_client(practice, el_ctx):
    return client_create(practice=practice, ctx=el_ctx, data={
        "first_name": "Jane", "last_name": "Doe", "date_of_birth": dt.date(1980, 5, 17),
        "gender": "F", "address1": "9 Elm St", "city": "Springfield", "state": "IL",
        "zip_code": "62702", "billing_type": "insurance"})


@pytest.fixture
def el_policy_factory(el_client, el_payer, el_ctx):
    def make(member_id: str = "W123456789", **extra):
        InsurancePolicy.objects.filter(client=el_client).update(is_active=False)
        return policy_create(client=el_client, ctx=el_ctx, data={
            "payer": el_payer.pk, "member_id": member_id, "group_number": "GRP1000",
            "relationship": "self", **extra})

    return make


@pytest.fixture
def el_policy(el_policy_factory):
    return el_policy_factory()


@pytest.fixture
def el_answering(clearinghouse):
    """The installed fake port, answering each 270 with a 271 (`eligibility_answer`) and
    keeping the 270s (`eligibility_sent`)."""
    clearinghouse.eligibility_answer = fixture_text("271_own_mental_health.271")
    return clearinghouse


@pytest.fixture
def el_stedi(clearinghouse_sim, settings):
    """The product's port pointed at the simulator, answering in real time (one attempt)."""
    settings.CLEARINGHOUSE_REALTIME_TIMEOUT_SECONDS = 2.0
    settings.CLEARINGHOUSE_REALTIME_ATTEMPTS = 1
    settings.CLEARINGHOUSE_BACKOFF_SECONDS = 0.01
    port = clearinghouse_port(realtime=True)
    yield port
    port.close()
