"""Fixtures for eligibility tests, prefixed el_: a practice with provider information and an
accepted payer, an insured client, a port fake that answers with a given 271, and the Stedi
adapter pointed at the simulator process."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from oasys.clearinghouse.fake import FakeClearinghouse
from oasys.clearinghouse.port import RealtimeResult
from oasys.clearinghouse.stedi import StediClearinghouse
from oasys.clients.models import InsurancePolicy
from oasys.clients.services import client_create, policy_create
from oasys.core.audit import AuditContext
from oasys.practice.models import AcceptedPayer, Payer, ProviderProfile

FIXTURES = Path(__file__).resolve().parents[3] / "x12" / "tests" / "fixtures"
NPI = "1234567893"


@dataclass
class Answering(FakeClearinghouse):
    """The port fake, answering each 270 with `answer` (a 271 text) and keeping the 270s."""

    answer: str = ""
    sent: list[str] = field(default_factory=list)

    def check_eligibility(self, *, x12: str) -> RealtimeResult:
        self._maybe_fail("eligibility")
        self.sent.append(x12)
        return RealtimeResult(self.answer, "elig-txn-1")


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
def el_answering():
    return Answering(answer=fixture_text("271_own_mental_health.271"))


@pytest.fixture
def el_stedi(clearinghouse_sim):
    port = StediClearinghouse(base_url=clearinghouse_sim.base_url,
                              api_key=clearinghouse_sim.api_key, timeout=2.0, attempts=1,
                              backoff=0.01)
    yield port
    port.close()
