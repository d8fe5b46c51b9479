"""The demo's ERAs, made against the clearinghouse simulator as a real process: four of
Serenity's Ready insured sessions are billed, answered with a 999, a 277CA and an 835, and
posted; the client shares they leave are pending for auto-billing; seeding again changes
nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oasys.claims.models import Claim
from oasys.demo.eras import ERA_SESSIONS, seed_demo_eras
from oasys.demo.seed import seed_demo
from oasys.remittance.models import Remittance, RemittanceClaim
from oasys.remittance.selectors import client_share_pending

pytestmark = pytest.mark.django_db


def test_serenity_gets_posted_eras_with_client_shares_pending(clearinghouse_sim):
    seed_demo()
    result = seed_demo_eras()
    assert result.warning == "" and result.claims == ERA_SESSIONS
    assert result.remittances >= 1
    rcs = list(RemittanceClaim.objects.filter(practice__slug="serenity"))
    assert len(rcs) == ERA_SESSIONS
    pending = [client_share_pending(practice=rc.practice, remittance_claim=rc) for rc in rcs]
    assert sum(1 for share in pending if share > 0) >= ERA_SESSIONS - 1  # copays, mostly
    assert Decimal(result.client_share) == sum(pending) > 0
    # the claims went to the simulator, once each, and it answered them
    at_sim = clearinghouse_sim.claims()
    claims = Claim.objects.filter(practice__slug="serenity")
    assert sorted(c["pcn"] for c in at_sim) == sorted(c.patient_control_number for c in claims)
    assert len(at_sim) == claims.count() == ERA_SESSIONS

    again = seed_demo_eras()
    assert again.claims == 0 and again.remittances == result.remittances
    assert Claim.objects.count() == ERA_SESSIONS
    assert Remittance.objects.count() == result.remittances


def test_without_the_simulator_nothing_is_seeded(settings):
    seed_demo()
    settings.CLEARINGHOUSE_ADAPTER = "fake"
    assert "simulator" in seed_demo_eras().warning
    assert not Claim.objects.exists()
