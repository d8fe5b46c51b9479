"""A primary that pays part leaves the secondary owed: the claim shows in the Secondary tab,
goes out with the primary's adjudication (2320/2430, accepted by pyx12), and is paid."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import (
    accept_payer,
    committed,
    ctx_for,
    make_payer,
    make_policy,
    ready_claim_session,
)
from oasys.claims.models import Claim
from oasys.claims.secondary import claim_secondary_bill, claim_secondary_create
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.services import reports_poll
from oasys.clients.models import PolicyPriority
from x12.tests.pyx12_check import pyx12_errors

pytestmark = pytest.mark.django_db


@pytest.fixture
def partial(practice, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    sc = ready_claim_session(practice)
    sc.policy.member_id = "PRIMARY555"
    sc.policy.save()
    second = make_payer(name="CIGNA", payer_id="62308")
    accept_payer(practice, second)
    make_policy(sc.client, second, priority=PolicyPriority.SECONDARY, member_id="PAIDFULL9")
    with committed():
        [claim] = billing_submit(practice=practice, appointment_ids=[sc.appointment.pk],
                                 ctx=ctx_for(practice=practice)).claims
    reports_poll()
    clearinghouse_sim.advance(10)
    reports_poll()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTIAL, claim.events.all()
    return sc, claim, clearinghouse_sim


def test_secondary_claim_carries_the_primary_adjudication_and_is_paid(
        partial, owner_client, practice):
    sc, claim, sim = partial
    page = owner_client.get(reverse("claims:list") + "?tab=secondary")
    assert claim.patient_control_number.encode() in page.content

    with committed():
        outcome = claim_secondary_bill(claim=claim, ctx=ctx_for(practice=practice))
    assert not outcome.error
    [secondary] = outcome.submitted
    secondary.refresh_from_db()
    assert secondary.payer_sequence == "S" and secondary.payer.payer_id_claims == "62308"
    raw = secondary.submission.edi_file.raw
    assert "SBR*S*" in raw and "SBR*P*" in raw  # ours as secondary, the primary in 2320
    paid = f"{claim.paid_amount.normalize():f}"
    assert f"AMT*D*{paid}~" in raw  # what the primary paid
    assert "SVD*" in raw and "CAS*" in raw  # line adjudication of the primary
    assert pyx12_errors(raw) == []
    # Once sent, the primary leaves the Secondary tab, and a second one is refused.
    page = owner_client.get(reverse("claims:list") + "?tab=secondary")
    assert claim.patient_control_number.encode() not in page.content
    with pytest.raises(ValidationError):
        claim_secondary_create(claim=claim, ctx=ctx_for(practice=practice))

    reports_poll()
    sim.advance(10)
    reports_poll()
    secondary.refresh_from_db()
    assert secondary.status in (ClaimStatus.PAID, ClaimStatus.PARTIAL)
    assert secondary.paid_amount > 0
    assert Claim.objects.filter(appointment=sc.appointment).count() == 2


def test_no_secondary_without_a_secondary_policy(practice, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    sc = ready_claim_session(practice)
    sc.policy.member_id = "PRIMARY777"
    sc.policy.save()
    with committed():
        [claim] = billing_submit(practice=practice, appointment_ids=[sc.appointment.pk],
                                 ctx=ctx_for(practice=practice)).claims
    reports_poll()
    clearinghouse_sim.advance(10)
    reports_poll()
    claim.refresh_from_db()
    with pytest.raises(ValidationError, match="no secondary"):
        claim_secondary_create(claim=claim, ctx=ctx_for(practice=practice))
