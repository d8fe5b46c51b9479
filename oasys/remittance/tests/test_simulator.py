"""End to end against the clearinghouse and payer simulator (a real process): bill sessions,
let the simulated payer adjudicate, poll, and the ERA is posted to claims and the ledger; the
client's share is invoiced; a later reversal and correction post too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.services import reports_poll
from oasys.invoices.models import Invoice, InvoiceKind
from oasys.ledger.selectors import account_balances, claim_balances, journal_entry_unbalanced_ids
from oasys.remittance.models import ProviderAdjustment, Remittance, RemittanceClaim
from oasys.remittance.services import remittance_client_invoices_create

pytestmark = pytest.mark.django_db
S = ClaimStatus
ZERO = Decimal("0.00")


def _session(sc, member_id):
    client = f.make_client(sc.practice)
    f.make_diagnosis(client)
    f.make_policy(client, sc.payer, member_id=member_id)
    return f.make_appointment(sc.practice, client=client, clinician=sc.clinician,
                              service_type=sc.service_type, days_ago=3)


def _deposits(practice) -> Decimal:
    return sum((r.amount for r in Remittance.objects.filter(
        practice=practice, status__in=["posted", "partially_unmatched"])), ZERO)


def test_eras_from_the_simulator_post_claims_ledger_and_invoices(practice, clearinghouse_sim,
                                                                 settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    sc = f.ready_claim_session(practice)
    sc.policy.member_id = "W100200300"  # no trigger: paid, $20 copay
    sc.policy.save()
    appts = {"copay": sc.appointment, "full": _session(sc, "PAIDFULL123"),
             "denied": _session(sc, "DENYNC123"), "plb": _session(sc, "PLB123"),
             "reverse": _session(sc, "REVERSE123")}
    ctx = f.ctx_for(practice=practice)
    with f.committed():
        result = billing_submit(practice=practice,
                                appointment_ids=[a.pk for a in appts.values()], ctx=ctx)
    assert len(result.claims) == 5, result
    reports_poll()  # 999
    clearinghouse_sim.advance(1.1)
    reports_poll()  # 277CA
    clearinghouse_sim.advance(8)
    reports_poll()  # the 835
    claims = {k: Claim.objects.get(appointment=a) for k, a in appts.items()}
    assert Remittance.objects.filter(practice=practice).exclude(
        status__in=["posted", "partially_unmatched"]).count() == 0
    assert Remittance.objects.filter(practice=practice).count() >= 1
    assert {k: c.status for k, c in claims.items()} == {
        "copay": S.PARTIAL, "full": S.PAID, "denied": S.DENIED, "plb": S.PARTIAL,
        "reverse": S.PARTIAL}
    copay = claims["copay"]
    assert copay.patient_responsibility == Decimal("20.00")
    assert copay.paid_amount > 0
    assert claim_balances(practice=practice, claim_id=copay.pk)["ar_insurance"] == ZERO
    assert claim_balances(practice=practice,
                          claim_id=claims["denied"].pk)["ar_insurance"] == Decimal("130.00")
    assert ProviderAdjustment.objects.filter(practice=practice, reason="L6").exists()
    # every ERA claim of ours was matched
    assert not RemittanceClaim.objects.filter(practice=practice, claim__isnull=True).exists()

    created = remittance_client_invoices_create(practice=practice, ctx=ctx)
    shares = {c.client_id: c.patient_responsibility for c in claims.values()
              if c.patient_responsibility > 0}
    assert {i.client_id: i.total for i in created} == shares
    assert all(i.kind == InvoiceKind.CLIENT_RESPONSIBILITY for i in created)
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []

    b = account_balances(practice=practice)
    assert journal_entry_unbalanced_ids(practice=practice) == [] and sum(b.values()) == ZERO
    assert b["cash"] == _deposits(practice)  # what came in is what the ERAs paid

    # + 22 days: the payer reverses REVERSE123's payment and pays the corrected claim
    clearinghouse_sim.advance(22)
    reports_poll()
    reverse = Claim.objects.get(pk=claims["reverse"].pk)
    rcs = list(RemittanceClaim.objects.filter(claim=reverse).order_by("remittance_id",
                                                                       "position"))
    assert [rc.status_code for rc in rcs][-2:] == ["22", "1"]
    assert reverse.paid_amount == rcs[-1].paid
    assert reverse.patient_responsibility == rcs[-1].client_share
    assert claim_balances(practice=practice, claim_id=reverse.pk)["ar_insurance"] == ZERO
    remittance_client_invoices_create(practice=practice, ctx=ctx)
    invoiced = sum((i.total for i in Invoice.objects.filter(
        practice=practice, client_id=reverse.client_id)), ZERO)
    assert invoiced == reverse.patient_responsibility  # the share, not twice
    b = account_balances(practice=practice)
    assert journal_entry_unbalanced_ids(practice=practice) == [] and sum(b.values()) == ZERO
    assert b["cash"] == _deposits(practice)
