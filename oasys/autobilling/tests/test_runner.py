"""A run from its first phase to done, on the fakes (clearinghouse and payments in memory):
Ready sessions become Submitted claims and sent invoices, Incomplete ones stay, each item
records what happened, and running again bills nothing. A run stopped after any phase (as a
killed worker leaves it) is finished by the next worker without billing anything twice."""

from __future__ import annotations

import datetime as dt

import pytest

from oasys.autobilling import runner
from oasys.autobilling.machine import ORDER
from oasys.autobilling.models import BillingRun, BillingRunItem, ItemKind, ItemOutcome, RunPhase
from oasys.autobilling.runner import billing_run_claim, billing_run_execute
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import ctx_for, ready_claim_session, self_pay_session
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.core.errors import InvalidInput
from oasys.invoices.models import Invoice, InvoiceStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(practice, owner):
    ctx = ctx_for(owner, practice)
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    insured = ready_claim_session(practice)
    cash = self_pay_session(practice, email="pat@example.com")
    return ctx, insured, cash


def test_a_run_bills_ready_sessions_once(world, practice, owner):
    ctx, insured, cash = world
    run = billing_run_start(practice=practice, ctx=ctx, actor=owner)
    done = billing_run_execute(run_id=run.pk)
    assert done.phase == RunPhase.DONE and done.finished_at is not None
    claim = Claim.objects.get(appointment=insured.appointment)
    assert claim.status == ClaimStatus.SUBMITTED
    invoice = Invoice.objects.get(lines__appointment=cash)
    assert invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
    items = {i.kind: i for i in BillingRunItem.objects.filter(run=run)}
    assert items[ItemKind.CLAIM].outcome == ItemOutcome.BILLED
    assert items[ItemKind.CLAIM].claim_id == claim.pk
    assert items[ItemKind.INVOICE].outcome == ItemOutcome.BILLED
    assert items[ItemKind.INVOICE].invoice_id == invoice.pk
    assert done.summary[ItemKind.CLAIM]["billed"] == 1
    assert list(done.events.values_list("to_status", flat=True)) == list(ORDER[1:])

    again = billing_run_execute(run_id=billing_run_start(practice=practice, ctx=ctx).pk)
    assert again.phase == RunPhase.DONE
    assert not BillingRunItem.objects.filter(run=again).exists()
    assert Claim.objects.count() == 1 and Invoice.objects.count() == 1


@pytest.mark.parametrize("phase", [p for p in ORDER if p != RunPhase.DONE])
def test_a_run_stopped_after_any_phase_is_finished_by_the_next_worker(world, practice, phase):
    ctx, insured, cash = world
    run = billing_run_start(practice=practice, ctx=ctx)
    first = billing_run_execute(run_id=run.pk, worker="w1", stop_after=lambda p: p == phase)
    # w1 "died" holding the lease: nobody else may take the run until it lapses
    assert billing_run_claim(run_id=run.pk, worker="w2") is None
    BillingRun.objects.filter(pk=run.pk).update(lease_until=None)
    assert (first.phase == RunPhase.DONE) == (phase == RunPhase.REPORT)
    done = billing_run_execute(run_id=run.pk, worker="w2") or BillingRun.objects.get(pk=run.pk)
    assert done.phase == RunPhase.DONE
    assert Claim.objects.filter(appointment=insured.appointment).count() == 1
    assert Invoice.objects.filter(lines__appointment=cash).count() == 1
    assert not BillingRunItem.objects.filter(run=run, outcome=ItemOutcome.PENDING).exists()


def test_a_session_billed_by_hand_is_skipped_by_the_run(world, practice, owner):
    ctx, insured, cash = world
    run = billing_run_start(practice=practice, ctx=ctx)
    billing_run_execute(run_id=run.pk, worker="w1", stop_after=lambda p: p == RunPhase.SELECT)
    billing_submit(practice=practice, appointment_ids=[cash.pk], ctx=ctx, actor=owner)
    BillingRun.objects.filter(pk=run.pk).update(lease_until=None)
    billing_run_execute(run_id=run.pk, worker="w2")
    item = BillingRunItem.objects.get(run=run, kind=ItemKind.INVOICE)
    assert item.outcome == ItemOutcome.SKIPPED and "outside this run" in item.reason
    assert Invoice.objects.filter(lines__appointment=cash).count() == 1


def test_incomplete_items_stay_where_they_are(practice, owner):
    ctx = ctx_for(owner, practice)
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    no_email = self_pay_session(practice, email="")  # Incomplete: nowhere to send it
    unsigned = ready_claim_session(practice).appointment
    unsigned.note_signed_at = None
    unsigned.save()
    run = billing_run_execute(run_id=billing_run_start(practice=practice, ctx=ctx).pk)
    assert run.phase == RunPhase.DONE
    assert not BillingRunItem.objects.filter(run=run).exists()
    assert not Invoice.objects.filter(lines__appointment=no_email).exists()
    assert not Claim.objects.filter(appointment=unsigned).exists()


def test_a_session_the_services_refuse_fails_alone_and_the_rest_are_billed(
        practice, owner, monkeypatch):
    """A refusal from the billing services (InvalidInput) inside a chunk: the chunk is
    billed one by one, the refused session recorded with the reason, the run goes on."""
    ctx = ctx_for(owner, practice)
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    sessions = [self_pay_session(practice, email=f"c{n}@example.com") for n in range(3)]
    refused = sessions[1].pk

    def refusing(*, appointment_ids, **kw):
        if refused in appointment_ids:
            raise InvalidInput({"__all__": "This session cannot be billed (test refusal)."})
        return billing_submit(appointment_ids=appointment_ids, **kw)

    monkeypatch.setattr(runner, "billing_submit", refusing)
    run = billing_run_execute(run_id=billing_run_start(practice=practice, ctx=ctx).pk)
    assert run.phase == RunPhase.DONE
    outcomes = {i.appointment_id: (i.outcome, i.reason)
                for i in BillingRunItem.objects.filter(run=run)}
    assert outcomes[refused] == (ItemOutcome.FAILED,
                                 "This session cannot be billed (test refusal).")
    assert {outcomes[s.pk][0] for s in sessions if s.pk != refused} == {ItemOutcome.BILLED}
    assert Invoice.objects.count() == 2


def test_the_lease_is_as_long_as_the_setting_says(world, practice, settings):
    """AUTOBILLING_LEASE_SECONDS is how long a worker holds a run (the chaos test makes it
    short so a killed worker's run is taken over in seconds)."""
    ctx, _, _ = world
    run = billing_run_start(practice=practice, ctx=ctx)
    settings.AUTOBILLING_LEASE_SECONDS = 7
    now = run.created_at
    held = billing_run_claim(run_id=run.pk, worker="w1", now=now)
    assert held.lease_until == now + dt.timedelta(seconds=7)
    assert billing_run_claim(run_id=run.pk, worker="w2",
                             now=now + dt.timedelta(seconds=6)) is None
    assert billing_run_claim(run_id=run.pk, worker="w2",
                             now=now + dt.timedelta(seconds=8)).lease_owner == "w2"
