"""The run's ERA-driven kinds, on the fakes: a client's share an ERA left becomes a sent
invoice; a primary claim paid in part whose client has a secondary insurer becomes a
Submitted secondary claim, and its share is held for that insurer rather than invoiced; both
once, however many runs."""

from __future__ import annotations

import pytest

from oasys.autobilling.models import BillingRunItem, ItemKind, ItemOutcome, RunPhase
from oasys.autobilling.runner import billing_run_execute
from oasys.autobilling.selectors import run_candidates
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.clients.models import PolicyPriority
from oasys.core.models import SentEmail
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.ledger.selectors import journal_entry_unbalanced_ids
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(practice, owner):
    ctx = f.ctx_for(owner, practice)
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    return ctx


def _paid_with_copay(practice, ctx, **kw) -> Claim:
    claim = submitted_claim(practice, **kw)
    era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)],
                                                   trace=f"EFT{claim.pk}"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTIAL
    return claim


def _run(practice, ctx):
    return billing_run_execute(run_id=billing_run_start(practice=practice, ctx=ctx).pk)


def test_a_client_share_becomes_a_sent_invoice_once(practice, ctx):
    claim = _paid_with_copay(practice, ctx)
    claim.client.email = "avery@example.com"
    claim.client.save()
    run = _run(practice, ctx)
    assert run.phase == RunPhase.DONE
    item = BillingRunItem.objects.get(run=run, kind=ItemKind.CLIENT_SHARE)
    assert item.outcome == ItemOutcome.BILLED, item.reason
    invoice = Invoice.objects.get(pk=item.invoice_id)
    assert invoice.total == item.amount == 20
    assert invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.PAID)
    assert run.summary[ItemKind.CLIENT_SHARE] == {"billed": 1, "failed": 0, "skipped": 0,
                                                  "pending": 0, "total": "20.00"}
    again = _run(practice, ctx)
    assert not BillingRunItem.objects.filter(run=again).exists()
    assert Invoice.objects.count() == 1
    assert journal_entry_unbalanced_ids(practice=practice) == []


def test_a_secondary_is_billed_and_the_share_held_for_it(practice, ctx):
    second = f.make_payer(name="CIGNA", payer_id="62308")
    f.accept_payer(practice, second)
    claim = _paid_with_copay(practice, ctx)
    f.make_policy(claim.client, second, priority=PolicyPriority.SECONDARY,
                  member_id="SEC1")
    kinds = {c.kind for c in run_candidates(practice=practice, bill_from=None)}
    assert kinds == {ItemKind.SECONDARY}  # not the share: the secondary insurer answers first
    run = _run(practice, ctx)
    item = BillingRunItem.objects.get(run=run, kind=ItemKind.SECONDARY)
    assert item.outcome == ItemOutcome.BILLED, item.reason
    secondary = Claim.objects.get(pk=item.claim_id)
    assert (secondary.payer_sequence, secondary.status) == ("S", ClaimStatus.SUBMITTED)
    assert not Invoice.objects.exists()
    again = _run(practice, ctx)
    assert not BillingRunItem.objects.filter(run=again).exists()
    assert Claim.objects.filter(payer_sequence="S").count() == 1


def test_a_failure_is_reported_with_its_reason_and_the_owner_told_once(practice, ctx, owner):
    claim = _paid_with_copay(practice, ctx)
    claim.client.email = ""  # nowhere to send the client's invoice
    claim.client.save()
    run = _run(practice, ctx)
    item = BillingRunItem.objects.get(run=run, kind=ItemKind.CLIENT_SHARE)
    assert item.outcome == ItemOutcome.FAILED
    assert "Draft" in item.reason and item.invoice_id is not None
    assert run.summary[ItemKind.CLIENT_SHARE]["failed"] == 1
    [mail] = SentEmail.objects.filter(kind="autobilling_failures")
    assert mail.to == owner.email and "1 item" in mail.subject
    assert f"/runs/{run.pk}/" in mail.text_body
