"""The same payment posts once, whatever file carries it: an ERA re-sent under a new check
or EFT number (only TRN02 changed) is quarantined with the reason, all or nothing; a payment
for a Closed or Voided claim waits in a review list, where a biller posts or dismisses it;
and the remittance's status moves only through its state machine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.claims.actions import claim_write_off
from oasys.claims.services import claim_transition
from oasys.claims.status import ClaimStatus
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditEvent
from oasys.core.statemachine import MACHINES
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import ar_aging, claim_balances, journal_entry_unbalanced_ids
from oasys.remittance.models import (
    PaymentReview,
    Remittance,
    RemittanceClaim,
    RemittanceEvent,
    RemittanceStatus,
    ReviewStatus,
)
from oasys.remittance.services import (
    era_import,
    payment_review_resolve,
    remittance_client_invoices_create,
)

from .helpers import Adj, C, copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def test_an_era_resent_with_a_new_check_number_is_quarantined_not_posted_again(
        practice, ctx, owner_client):
    claim = submitted_claim(practice)
    other = submitted_claim(practice)
    first = era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)],
                                                           trace="CHK1001"))
    assert [o.state for o in first.outcomes] == ["posted"]
    entries = JournalEntry.objects.filter(practice=practice).count()

    again = era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)],
                                                           trace="CHK2002"))
    [outcome] = again.outcomes
    assert outcome.state == RemittanceStatus.QUARANTINED
    r = outcome.remittance
    assert "Duplicate payment" in r.reason and "already posted in ERA #" in r.reason
    assert "CHK1001" in r.reason
    # all or nothing: a file holding one repeat and one new payment posts neither
    mixed = era_import(practice=practice, ctx=ctx, raw=era(
        [copay_claim(claim), copay_claim(other, payer_claim_number="PCN-OTHER")],
        trace="CHK3003"))
    assert [o.state for o in mixed.outcomes] == [RemittanceStatus.QUARANTINED]
    assert JournalEntry.objects.filter(practice=practice).count() == entries
    assert RemittanceClaim.objects.filter(practice=practice).count() == 1

    claim.refresh_from_db()
    assert (claim.paid_amount, claim.patient_responsibility) == (D("78.00"), D("20.00"))
    assert claim_balances(practice=practice, claim_id=claim.pk)["ar_insurance"] == 0
    [invoice] = remittance_client_invoices_create(practice=practice, ctx=ctx)
    assert invoice.total == D("20.00")
    assert ar_aging(practice=practice).insurance_total >= 0
    page = owner_client.get(reverse("remittance:detail", args=[r.pk])).content.decode()
    assert 'data-testid="quarantine-reason"' in page and "already posted" in page
    # the original file imported again is still "already posted", not a new quarantine
    assert era_import(practice=practice, ctx=ctx, raw=era(
        [copay_claim(claim)], trace="CHK1001")).outcomes[0].state == "duplicate"


def test_a_reversal_frees_the_payment_to_post_again_once(practice, ctx):
    claim = submitted_claim(practice)
    pcn = claim.patient_control_number
    paid = C(pcn, "130.00", "98.00", [Adj("CO", "45", "32.00")])
    reversal = C(pcn, "-130.00", "-98.00", [Adj("CO", "45", "-32.00")], status="22")
    states = [era_import(practice=practice, ctx=ctx, raw=era([c], trace=t)).outcomes[0].state
              for c, t in ((paid, "A"), (reversal, "B"), (reversal, "C"), (paid, "D"),
                           (paid, "E"))]
    assert states == ["posted", "posted", "quarantined", "posted", "quarantined"]
    claim.refresh_from_db()
    assert claim.paid_amount == D("98.00")
    assert journal_entry_unbalanced_ids(practice=practice) == []


def test_the_same_claim_payment_cannot_be_stored_posted_twice(practice, ctx):
    claim = submitted_claim(practice)
    era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)], trace="X1"))
    rc = RemittanceClaim.objects.get(practice=practice)
    assert rc.fingerprint and rc.fingerprint_seq == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        RemittanceClaim.objects.create(
            practice=practice, remittance=rc.remittance, position=99, claim=claim,
            patient_control_number=rc.patient_control_number, status_code="1",
            charge=rc.charge, paid=rc.paid, fingerprint=rc.fingerprint, fingerprint_seq=0)


def _denied_then_closed(practice, ctx):
    claim = submitted_claim(practice)
    era_import(practice=practice, ctx=ctx, raw=era([C(
        claim.patient_control_number, "130.00", "0.00", [Adj("CO", "50", "130.00")],
        status="4")], trace="DENY"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DENIED
    claim_write_off(claim=claim, reason="not medically necessary", ctx=ctx)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLOSED
    return claim


def test_a_payment_for_a_closed_claim_waits_for_review_and_can_be_dismissed(
        practice, ctx, owner_client, owner):
    claim = _denied_then_closed(practice, ctx)
    entries = JournalEntry.objects.filter(practice=practice).count()
    result = era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)], trace="LATE"))
    assert [o.state for o in result.outcomes] == ["posted"]
    review = PaymentReview.objects.get(practice=practice)
    assert review.status == ReviewStatus.OPEN and "Closed" in review.reason
    # nothing went into the ledger, and insurance aging is not negative
    assert JournalEntry.objects.filter(practice=practice).count() == entries
    assert ar_aging(practice=practice).insurance_total >= 0
    listing = owner_client.get(reverse("remittance:reviews")).content.decode()
    assert claim.patient_control_number in listing and "Post it anyway" in listing
    era_page = owner_client.get(reverse("remittance:detail",
                                        args=[review.remittance_claim.remittance_id]))
    assert b'data-testid="payment-review"' in era_page.content

    with pytest.raises(InvalidInput):
        payment_review_resolve(review=review, action="dismiss", note=" ", ctx=ctx)
    resp = owner_client.post(reverse("remittance:review_decide", args=[review.pk]),
                             {"action": "dismiss", "note": "payer error, will be recouped"})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.DISMISSED and review.resolved_by_id == owner.pk
    assert review.resolution_note == "payer error, will be recouped"
    assert review.events.count() == 2  # created, dismissed
    assert AuditEvent.objects.filter(object_type="PaymentReview",
                                     object_id=str(review.pk)).count() == 2
    assert JournalEntry.objects.filter(practice=practice).count() == entries
    with pytest.raises(Conflict):
        payment_review_resolve(review=review, action="post", ctx=ctx)


def test_a_biller_can_post_a_held_payment_anyway(practice, ctx):
    claim = submitted_claim(practice)
    claim_transition(claim=claim, to=ClaimStatus.VOIDED, ctx=ctx, source="test")
    era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)], trace="VOID1"))
    review = PaymentReview.objects.get(practice=practice)
    assert "Voided" in review.reason
    claim.refresh_from_db()
    assert claim.paid_amount == 0
    payment_review_resolve(review=review, action="post", note="confirmed with payer", ctx=ctx)
    claim.refresh_from_db()
    assert review.status == ReviewStatus.POSTED
    assert claim.status == ClaimStatus.VOIDED  # not forced back
    assert (claim.paid_amount, claim.patient_responsibility) == (D("78.00"), D("20.00"))
    assert journal_entry_unbalanced_ids(practice=practice) == []


def test_remittance_status_moves_through_its_machine(practice, ctx):
    assert MACHINES["remittance"].model is Remittance
    claim = submitted_claim(practice)
    era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)], trace="M1"))
    r = Remittance.objects.get(practice=practice)
    assert [(e.from_status, e.to_status) for e in RemittanceEvent.objects.filter(
        remittance=r)] == [("", "received"), ("received", "posted")]
    bad = era([copay_claim(claim)], trace="M2", amount="1.00")  # does not balance
    q = era_import(practice=practice, ctx=ctx, raw=bad).outcomes[0].remittance
    assert [e.to_status for e in q.events.all()] == ["received", "quarantined"]
