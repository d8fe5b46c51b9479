"""Fixtures for the clearinghouse app: a practice with provider information, accepted payer
enrollments, and the product's port pointed at the simulator process."""

from __future__ import annotations

import pytest

from oasys.clearinghouse.connection import clearinghouse_port
from oasys.core.audit import AuditContext
from oasys.practice.models import AcceptedPayer, Enrollment, Payer, ProviderProfile

NPI = "1234567893"
TIN = "371234567"


@pytest.fixture
def provider_profile(practice):
    return ProviderProfile.objects.create(
        practice=practice, provider_type="organization", organization_name="Calm Mind Therapy",
        npi=NPI, tax_id=TIN, contact_name="Ana Rivera", contact_email="ana@example.com",
        contact_phone="2175550100", address1="123 Main St", city="Springfield", state="IL",
        zip_code="62701")


@pytest.fixture
def enrollment(practice, provider_profile):
    payer = Payer.objects.create(name="CIGNA", payer_id_claims="62308", payer_id_era="62308",
                                 supports_claims=True, supports_era=True,
                                 enrollment_required_era=True)
    accepted = AcceptedPayer.objects.create(practice=practice, payer=payer)
    return Enrollment.objects.create(practice=practice, accepted_payer=accepted,
                                     transaction_type="era")


@pytest.fixture
def ctx(practice, owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)


@pytest.fixture
def stedi(clearinghouse_sim, settings):
    """The product's port pointed at the simulator (the clearinghouse_sim fixture), with short
    timeouts and back-off; services reach the same adapter through `clearinghouse_port()`."""
    settings.CLEARINGHOUSE_TIMEOUT_SECONDS = 1.0
    settings.CLEARINGHOUSE_ATTEMPTS = 3
    settings.CLEARINGHOUSE_BACKOFF_SECONDS = 0.05
    port = clearinghouse_port()
    yield port
    port.close()
