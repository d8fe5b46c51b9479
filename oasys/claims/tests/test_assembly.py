"""Claim rows to 837P: ZIP+4 for the billing provider, and 2010BA N3/N4/DMG only when the
subscriber is the patient (005010X222A1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.claims.assembly import build_837p_for
from oasys.claims.models import Claim
from oasys.claims.services import ClaimDraft, claim_create_for_session
from oasys.claims.status import ClaimStatus
from oasys.clients.models import Relationship
from x12.errors import BuildError
from x12.tests.pyx12_check import pyx12_errors

pytestmark = pytest.mark.django_db

SUBSCRIBER = dict(
    subscriber_first_name="Pat", subscriber_last_name="Bennett",
    subscriber_date_of_birth=dt.date(1960, 2, 3), subscriber_gender="M",
    subscriber_address1="40 Elm St", subscriber_city="Evanston", subscriber_state="IL",
    subscriber_zip_code="60201",
)


def _claim(s, owner) -> Claim:
    draft = ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                       payer_id=s.payer.pk, cpt="90834", charge=Decimal("130.00"),
                       diagnosis_codes=("F41.1",))
    claim = claim_create_for_session(practice=s.practice, draft=draft, ctx=f.ctx_for(owner))
    return Claim.objects.select_related("client", "policy", "payer", "clinician").get(
        pk=claim.pk)


def _segments(x12: str) -> list[str]:
    return [seg.strip() for seg in x12.split("~") if seg.strip()]


def _loop_2010ba(segs: list[str]) -> list[str]:
    start = next(i for i, seg in enumerate(segs) if seg.startswith("NM1*IL*"))
    end = next(i for i in range(start, len(segs)) if segs[i].startswith("NM1*PR*"))
    return segs[start:end]


def test_self_subscriber_claim_sends_address_and_demographics_in_2010ba(practice, owner):
    s = f.ready_claim_session(practice)
    x12 = build_837p_for(practice=practice, claims=[_claim(s, owner)], control_number=5)
    assert pyx12_errors(x12) == []
    segs = _segments(x12)
    assert "N4*CHICAGO*IL*606012207" in segs  # 2010AA: ZIP+4, without the dash
    sub = _loop_2010ba(segs)
    assert sub[1:] == ["N3*12 OAK ST", "N4*CHICAGO*IL*60614", "DMG*D8*19850412*F"]
    assert not any(seg.startswith("HL*") and seg.endswith("*23*0") for seg in segs)


def test_dependent_claim_has_no_subscriber_address_or_demographics(practice, owner):
    s = f.ready_claim_session(practice)
    s.policy.relationship = Relationship.CHILD
    for name, value in SUBSCRIBER.items():
        setattr(s.policy, name, value)
    s.policy.save()
    x12 = build_837p_for(practice=practice, claims=[_claim(s, owner)], control_number=6)
    assert pyx12_errors(x12) == []
    segs = _segments(x12)
    assert _loop_2010ba(segs) == ["NM1*IL*1*BENNETT*PAT****MI*W123456789"]
    assert "PAT*19" in segs
    assert "N3*40 ELM ST" not in segs and "DMG*D8*19600203*M" not in segs
    qc = next(i for i, seg in enumerate(segs) if seg.startswith("NM1*QC*"))
    assert segs[qc + 1:qc + 4] == ["N3*12 OAK ST", "N4*CHICAGO*IL*60614",
                                   "DMG*D8*19850412*F"]


def test_stored_5_digit_billing_zip_is_refused_by_the_builder(practice, owner):
    s = f.ready_claim_session(practice)
    s.profile.zip_code = "60601"
    s.profile.save()
    with pytest.raises(BuildError, match="billing provider ZIP code must have 9 digits"):
        build_837p_for(practice=practice, claims=[_claim(s, owner)], control_number=7)


def test_a_5_digit_billing_zip_holds_the_session_back_and_sends_nothing(
        practice, owner, clearinghouse, django_capture_on_commit_callbacks):
    s = f.ready_claim_session(practice)
    s.profile.zip_code = "60601"
    s.profile.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = billing_submit(practice=practice, appointment_ids=[s.appointment.pk],
                                ctx=f.ctx_for(owner), actor=owner)
    # readiness lists "ZIP+4 required" first, so no claim is built at all
    assert result.claims == []
    ((appt_id, why),) = result.skipped
    assert appt_id == s.appointment.pk and "ZIP+4 required for claims" in why
    assert clearinghouse.sent == []
    assert not Claim.objects.filter(status=ClaimStatus.SUBMITTED).exists()


@pytest.mark.parametrize("place", ["11", "02", "10"])
def test_no_service_facility_loop_2310c_is_sent(practice, owner, place):
    """A therapy practice's sessions happen at the billing provider's address (office, 11) or
    by telehealth (02, 10): the guide sends 2310C only when the service location differs from
    2010AA, so the claim names no facility and its ZIP+4 rule never applies (x12/README)."""
    s = f.ready_claim_session(practice)
    claim = _claim(s, owner)
    claim.place_of_service = place
    claim.save(update_fields=["place_of_service"])
    x12 = build_837p_for(practice=practice, claims=[claim], control_number=8)
    assert pyx12_errors(x12) == []
    segs = _segments(x12)
    assert not any(seg.startswith("NM1*77*") for seg in segs)  # 2310C service facility
    clm = next(seg for seg in segs if seg.startswith("CLM*"))
    assert clm.split("*")[5].split(":")[0] == place  # CLM05-1: where the service was
    # the addresses sent: 2010AA (the billing provider, ZIP+4) and 2010BA (the patient as
    # subscriber); none in the claim's loops, where a 2310C facility's N3/N4 would be
    assert [seg for seg in segs if seg.startswith("N4*")] == [
        "N4*CHICAGO*IL*606012207", "N4*CHICAGO*IL*60614"]
    assert not any(seg.startswith(("N3*", "N4*")) for seg in segs[segs.index(clm):])
