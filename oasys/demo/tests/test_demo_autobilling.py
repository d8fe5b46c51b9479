"""Issue 13's demo story, through the services a user's clicks and `oasys billing run` reach:
on the seeded solo practice (Stripe on the fake, claims and ERAs through the clearinghouse
simulator as a process), auto-billing is turned on with backfill and run; afterwards Bill
Sessions has nothing Ready, the claims are Submitted, the invoices Open or Paid, the client
shares invoiced, the run in the history; a second run bills nothing."""

from __future__ import annotations

import pytest
from django.test import TestCase

from oasys.autobilling.models import BillingRun, ItemKind, ItemOutcome, RunPhase
from oasys.autobilling.runner import billing_run_execute
from oasys.autobilling.selectors import billing_run_item_list, billing_run_list
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.readiness import billing_queue, unbilled_sessions
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.demo.eras import seed_demo_eras
from oasys.demo.seed import SOLO_EMAIL, seed_demo, seed_demo_payments
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.ledger.selectors import journal_entry_unbalanced_ids

pytestmark = pytest.mark.django_db


def test_turn_it_on_with_backfill_run_it_and_again(clearinghouse_sim, payments):
    seed_demo()
    assert seed_demo_payments().warning == ""
    assert seed_demo_eras().warning == ""
    practice = Practice.objects.get(slug="serenity")
    owner = User.objects.get(email=SOLO_EMAIL)
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    ready = [i for i in billing_queue(practice=practice,
                                      sessions=unbilled_sessions(practice=practice))
             if i.ready]
    assert ready
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})

    with TestCase.captureOnCommitCallbacks(execute=True):  # the outbox's kicks, as on commit
        run = billing_run_execute(run_id=billing_run_start(
            practice=practice, ctx=ctx, actor=owner).pk)
    assert run.phase == RunPhase.DONE
    assert not [i for i in billing_queue(practice=practice,
                                         sessions=unbilled_sessions(practice=practice))
                if i.ready]  # the Ready tab is empty
    items = list(billing_run_item_list(run=run))
    kinds = {i.kind for i in items if i.outcome == ItemOutcome.BILLED}
    assert {ItemKind.CLAIM, ItemKind.INVOICE, ItemKind.CLIENT_SHARE} <= kinds
    assert not [i for i in items if i.outcome == ItemOutcome.PENDING]
    claims = Claim.objects.filter(pk__in=[i.claim_id for i in items if i.claim_id])
    assert claims.exists()
    assert set(claims.values_list("status", flat=True)) == {ClaimStatus.SUBMITTED}
    invoices = Invoice.objects.filter(pk__in=[i.invoice_id for i in items if i.invoice_id])
    assert set(invoices.values_list("status", flat=True)) <= {InvoiceStatus.OPEN,
                                                              InvoiceStatus.PAID}
    assert invoices.filter(lines__remittance_claim__isnull=False).exists()
    # each claim reached the simulator once
    pcns = [c["pcn"] for c in clearinghouse_sim.claims()]
    assert len(pcns) == len(set(pcns))
    assert set(claims.values_list("patient_control_number", flat=True)) <= set(pcns)
    assert run in billing_run_list(practice=practice)
    assert journal_entry_unbalanced_ids(practice=practice) == []

    again = billing_run_execute(run_id=billing_run_start(practice=practice, ctx=ctx).pk)
    assert again.phase == RunPhase.DONE and not billing_run_item_list(run=again).exists()
    assert BillingRun.objects.filter(practice=practice).count() == 2
