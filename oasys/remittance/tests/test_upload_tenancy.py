"""A hand-uploaded file acts only for the uploader: an 835 or 277CA naming another practice's
(public) NPI and a guessed claim number changes nothing of that practice."""

import datetime as dt
from decimal import Decimal

import pytest

from oasys.billing.tests import factories as f
from oasys.claims.status import ClaimStatus
from oasys.ledger.models import JournalEntry
from oasys.remittance.models import Remittance
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import Adj, C, era, submitted_claim
from x12.build.claim_ack_277ca import ClaimAcknowledgment, build_277ca
from x12.build.claim_ack_277ca import ClaimStatus as AckStatus
from x12.envelope import Envelope

pytestmark = pytest.mark.django_db


def test_an_835_naming_another_practice_posts_nothing_there(practice, other_practice):
    victim = submitted_claim(practice)
    raw = era([C(victim.patient_control_number, "130.00", "0.00",
                 [Adj("CO", "45", "130.00")], status="4")], plb=[("WO", "-50.00")],
              amount="50.00")
    before = JournalEntry.objects.filter(practice=practice).count()
    result = era_import(practice=other_practice, raw=raw,
                        ctx=f.ctx_for(practice=other_practice))
    assert result.refusal and "another practice" in result.refusal
    victim.refresh_from_db()
    assert victim.status == ClaimStatus.SUBMITTED
    assert not Remittance.objects.filter(practice=practice).exists()
    assert not Remittance.objects.filter(practice=other_practice, status="posted").exists()
    assert JournalEntry.objects.filter(practice=practice).count() == before


def test_a_277ca_uploaded_as_an_era_changes_no_claim(practice, other_practice):
    victim = submitted_claim(practice)
    ack = ClaimAcknowledgment(
        payer_name="AETNA", payer_id="60054", receiver_name="X", receiver_id="X",
        billing_provider_name="REYES", billing_provider_npi=f.PROFILE_NPI,
        claims=[AckStatus(patient_control_number=victim.patient_control_number, category="A7",
                          status="21", charge=Decimal("130.00"), patient_last_name="DOE",
                          patient_first_name="J", member_id="X1",
                          service_from=dt.date(2026, 11, 1))],
        received_date=dt.date(2026, 11, 20), processed_date=dt.date(2026, 11, 20))
    raw = build_277ca(ack, Envelope(sender_id="117151744", receiver_id="X",
                                    interchange_control_number=78, group_control_number=78,
                                    created=dt.datetime(2026, 11, 20, 9, 0)))
    for uploader in (other_practice, practice):  # not even the owner's own claims
        result = era_import(practice=uploader, raw=raw, ctx=f.ctx_for(practice=uploader))
        assert result.refusal
        victim.refresh_from_db()
        assert victim.status == ClaimStatus.SUBMITTED
