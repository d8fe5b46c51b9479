"""The whole claim cycle on the seeded demo, against the simulator as a real process: bill
every Ready claim of Serenity Counseling, let the simulated weeks pass, and check that the
simulator's triggers drive claims to every status they should, ERAs post, client shares are
invoiced, a secondary claim goes out and is paid, a rejection is corrected and resubmitted,
and the ledger balances."""

import pytest

from oasys.billing.readiness import Route, billing_queue
from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import committed
from oasys.claims.actions import claim_resubmit
from oasys.claims.models import Claim
from oasys.claims.secondary import claim_secondary_bill
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.services import reports_poll
from oasys.core.audit import AuditContext
from oasys.core.models import Practice
from oasys.demo.seed import seed_demo
from oasys.ledger.selectors import account_balances, journal_entry_unbalanced_ids
from oasys.remittance.models import Remittance
from oasys.remittance.services import remittance_client_invoices_create

pytestmark = pytest.mark.django_db


def test_demo_claim_cycle(clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    seed_demo()
    practice = Practice.objects.get(slug="serenity")
    ctx = AuditContext.system(practice_id=practice.pk, source="demo test")
    ready = [i.appointment.pk for i in billing_queue(practice=practice)
             if i.ready and i.route == Route.CLAIM]
    with committed():
        result = billing_submit(practice=practice, appointment_ids=ready, ctx=ctx)
    assert len(result.claims) == len(ready) and not result.claims_failed

    reports_poll()
    for days in (1.1, 9, 40):  # acknowledgments, most payers, the slow payer and reversals
        clearinghouse_sim.advance(days)
        reports_poll()

    statuses = set(Claim.objects.filter(practice=practice).values_list("status", flat=True))
    for expected in (ClaimStatus.PAID, ClaimStatus.PARTIAL, ClaimStatus.DENIED,
                     ClaimStatus.REJECTED, ClaimStatus.ACKNOWLEDGED):
        assert expected in statuses, (expected, statuses)
    posted = Remittance.objects.filter(practice=practice, status="posted")
    assert posted.exists()
    assert not Remittance.objects.filter(practice=practice, status="quarantined").exists()

    # Client shares become invoices, each once.
    invoices = remittance_client_invoices_create(practice=practice, ctx=ctx)
    assert invoices
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []

    # The PRIMARY member's claim leaves a secondary owed: bill it, and it gets paid.
    # (member IDs are encrypted: the prefix is looked at in Python)
    primary = next((c for c in Claim.objects.filter(practice=practice,
                                                    status=ClaimStatus.PARTIAL)
                    .select_related("policy").order_by("pk")
                    if c.policy.member_id.startswith("PRIMARY")), None)
    assert primary is not None
    with committed():
        [secondary] = claim_secondary_bill(claim=primary, ctx=ctx).submitted

    # The rejected member (not found) is corrected and resubmitted.
    rejected = Claim.objects.filter(practice=practice, status=ClaimStatus.REJECTED).first()
    rejected.policy.member_id = "W99887766"
    rejected.policy.save()
    with committed():
        assert not claim_resubmit(claim=rejected, ctx=ctx).error

    reports_poll()
    for days in (1.1, 9):
        clearinghouse_sim.advance(days)
        reports_poll()
    secondary.refresh_from_db()
    rejected.refresh_from_db()
    assert secondary.status in (ClaimStatus.PAID, ClaimStatus.PARTIAL) and secondary.paid_amount > 0
    assert rejected.status in (ClaimStatus.PAID, ClaimStatus.PARTIAL)

    # Every journal entry balances, and the books sum to zero.
    assert journal_entry_unbalanced_ids(practice=practice) == []
    balances = account_balances(practice=practice)
    assert sum(balances.values()) == 0
