"""Posting 835s: balanced files post completely (claims, ledger), unbalanced or malformed
ones are quarantined and post nothing, duplicates post once, unmatched claims are kept,
reversals and corrections, provider-level adjustments, and the client's share invoiced."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from oasys.billing.tests import factories as f
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.models import EdiFile
from oasys.clearinghouse.services import edi_file_receive
from oasys.invoices.models import InvoiceKind, InvoiceStatus
from oasys.invoices.services import AlreadyInvoiced
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import account_balances, claim_balances, journal_entry_unbalanced_ids
from oasys.remittance.models import (
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
)
from oasys.remittance.selectors import client_share_pending
from oasys.remittance.services import (
    era_import,
    remittance_claim_invoice_create,
    remittance_client_invoices_create,
)

from .helpers import Adj, C, copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal
S = ClaimStatus


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def _import(practice, ctx, raw):
    return era_import(practice=practice, raw=raw, ctx=ctx)


def _nothing_posted(practice):
    assert RemittanceClaim.objects.filter(practice=practice).count() == 0
    assert JournalEntry.objects.filter(practice=practice).count() == 0


def test_copay_claim_posts_payment_contractual_and_client_share(practice, ctx):
    claim = submitted_claim(practice)
    result = _import(practice, ctx, era([copay_claim(claim)]))
    assert [o.state for o in result.outcomes] == ["posted"]
    assert "posted 1 claim(s)" in result.lines()[0]
    r = Remittance.objects.get(practice=practice)
    assert (r.status, r.amount, r.trace_number, r.payer_name, r.claim_count) == (
        "posted", D("78.00"), "EFT0001", "ACME HEALTH", 1)
    rc = r.claims.get()
    assert rc.claim_id == claim.pk and rc.client_id == claim.client_id
    assert (rc.charge, rc.allowed, rc.paid, rc.client_share, rc.contractual_amount,
            rc.open_amount) == (D("130.00"), D("98.00"), D("78.00"), D("20.00"), D("32.00"),
                                D("0.00"))
    assert sorted(RemittanceAdjustment.objects.filter(remittance_claim=rc)
                  .values_list("group", "reason", "amount", "level")) == [
        ("CO", "45", D("32.00"), "line"), ("PR", "3", D("20.00"), "line")]
    claim.refresh_from_db()
    assert claim.status == S.PARTIAL  # the client owes part of it
    assert (claim.paid_amount, claim.patient_responsibility) == (D("78.00"), D("20.00"))
    assert claim.payer_claim_number == "PCN-PAYER-1"
    b = account_balances(practice=practice)
    assert b["revenue"] == D("-130.00")  # credit balance
    assert (b["ar_insurance"], b["ar_client"], b["cash"], b["contractual_adjustments"]) == (
        D("0.00"), D("20.00"), D("78.00"), D("32.00"))
    assert sum(b.values()) == 0
    assert journal_entry_unbalanced_ids(practice=practice) == []


def test_paid_in_full_and_denied(practice, ctx):
    paid = submitted_claim(practice)
    denied = submitted_claim(practice)
    _import(practice, ctx, era([
        C(paid.patient_control_number, "130.00", "98.00", [Adj("CO", "45", "32.00")]),
        C(denied.patient_control_number, "130.00", "0.00", [Adj("CO", "197", "130.00")],
          status="4", payer_claim_number="PAYER-2"),
    ]))
    paid.refresh_from_db()
    denied.refresh_from_db()
    assert (paid.status, denied.status) == (S.PAID, S.DENIED)
    # a denial stays open on the insurance receivable until appealed or written off
    assert claim_balances(practice=practice, claim_id=denied.pk)["ar_insurance"] == D("130.00")
    assert claim_balances(practice=practice, claim_id=paid.pk)["ar_insurance"] == D("0.00")


def test_transaction_that_does_not_balance_is_quarantined_and_posts_nothing(practice, ctx):
    claim = submitted_claim(practice)
    result = _import(practice, ctx, era([copay_claim(claim)], amount="80.00"))
    assert [o.state for o in result.outcomes] == ["quarantined"]
    assert result.refused and not result.posted_any
    assert "BPR02" in result.lines()[0]
    r = Remittance.objects.get(practice=practice)
    assert r.status == "quarantined" and "BPR02" in r.reason and r.dedupe_key is None
    _nothing_posted(practice)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.paid_amount == 0


def test_claim_that_does_not_balance_is_quarantined(practice, ctx):
    claim = submitted_claim(practice)
    other = submitted_claim(practice)
    bad = C(claim.patient_control_number, "130.00", "78.00", [Adj("CO", "45", "30.00"),
                                                              Adj("PR", "3", "20.00")])
    result = _import(practice, ctx, era([copay_claim(other), bad]))
    assert result.outcomes[0].state == "quarantined"
    assert claim.patient_control_number in Remittance.objects.get().reason
    _nothing_posted(practice)  # the good claim in the same ERA is not posted either
    other.refresh_from_db()
    assert other.status == S.SUBMITTED


def test_malformed_files_are_refused_or_quarantined(practice, ctx):
    claim = submitted_claim(practice)
    raw = era([copay_claim(claim)])
    broken = raw.replace("SE*", "SE*9", 1)  # wrong segment count
    result = _import(practice, ctx, broken)
    assert result.outcomes and result.outcomes[0].state == "quarantined"
    assert "SE01" in result.lines()[0]
    assert EdiFile.objects.filter(raw=broken).exists()  # stored raw first, in EDI history
    _nothing_posted(practice)
    assert _import(practice, ctx, "hello").refusal.startswith("This is not an X12 file")
    truncated = raw[: len(raw) // 2]
    result = _import(practice, ctx, truncated)
    assert result.refused and not result.posted_any
    _nothing_posted(practice)


def test_a_non_835_file_is_refused(practice, ctx):
    ca = open("x12/tests/fixtures/277CA_own_payer_response.x12", encoding="utf-8").read()
    result = _import(practice, ctx, ca)
    assert result.refusal and "not an 835" in result.refusal


def test_the_same_era_twice_posts_once(practice, ctx):
    claim = submitted_claim(practice)
    raw = era([copay_claim(claim)], icn=501)
    first = _import(practice, ctx, raw)
    again = _import(practice, ctx, raw)
    assert first.outcomes[0].state == "posted"
    assert again.outcomes[0].state == "already" and "nothing posted again" in again.lines()[0]
    # the same payment re-sent in another interchange (new control numbers): posted once
    resent = _import(practice, ctx, era([copay_claim(claim)], icn=502))
    assert resent.outcomes[0].state == "duplicate"
    assert Remittance.objects.filter(practice=practice).count() == 1
    assert RemittanceClaim.objects.filter(practice=practice).count() == 1
    claim.refresh_from_db()
    assert claim.paid_amount == D("78.00")
    assert account_balances(practice=practice)["cash"] == D("78.00")


def test_unmatched_claim_is_kept_and_the_rest_posts(practice, ctx):
    claim = submitted_claim(practice)
    stranger = C("ZZ-NOT-OURS", "200.00", "150.00", [Adj("CO", "45", "50.00")],
                 payer_claim_number="UNKNOWN-9")
    result = _import(practice, ctx, era([copay_claim(claim), stranger]))
    assert result.outcomes[0].state == "partially_unmatched"
    assert "1 claim(s) match none of ours" in result.lines()[0]
    r = Remittance.objects.get()
    assert (r.status, r.claim_count, r.unmatched_count) == ("partially_unmatched", 2, 1)
    kept = r.claims.get(patient_control_number="ZZ-NOT-OURS")
    assert kept.claim_id is None and kept.paid == D("150.00")
    assert kept.patient_name == "AVERY BENNETT"
    # only our claim reaches the ledger
    assert account_balances(practice=practice)["cash"] == D("78.00")


def test_reversal_and_correction(practice, ctx):
    claim = submitted_claim(practice)
    _import(practice, ctx, era([copay_claim(claim)], trace="EFT1"))
    reversal = C(claim.patient_control_number, "-130.00", "-78.00",
                 [Adj("CO", "45", "-32.00"), Adj("PR", "3", "-20.00")], status="22")
    correction = C(claim.patient_control_number, "130.00", "88.00",
                   [Adj("CO", "45", "22.00"), Adj("PR", "3", "20.00")],
                   payer_claim_number="PCN-PAYER-2")
    result = _import(practice, ctx, era([reversal, correction], trace="EFT2"))
    assert result.outcomes[0].state == "posted"
    claim.refresh_from_db()
    assert (claim.paid_amount, claim.patient_responsibility) == (D("88.00"), D("20.00"))
    assert claim.status == S.PARTIAL
    assert claim.payer_claim_number == "PCN-PAYER-2"
    b = account_balances(practice=practice)
    assert (b["cash"], b["ar_insurance"], b["ar_client"], b["contractual_adjustments"]) == (
        D("88.00"), D("0.00"), D("20.00"), D("22.00"))
    assert JournalEntry.objects.filter(practice=practice, entry_type="reversal").count() == 3
    assert journal_entry_unbalanced_ids(practice=practice) == []
    rc_rev = RemittanceClaim.objects.get(status_code="22")
    assert rc_rev.is_reversal and rc_rev.paid == D("-78.00")


def test_provider_level_adjustments(practice, ctx):
    claim = submitted_claim(practice)
    result = _import(practice, ctx, era([copay_claim(claim)],
                                        plb=[("L6", "-2.50"), ("WO", "10.00")]))
    assert result.outcomes[0].state == "posted"
    assert "2 provider-level adjustment(s)" in result.lines()[0]
    r = Remittance.objects.get()
    assert r.amount == D("70.50")  # 78.00 + 2.50 interest - 10.00 recouped
    assert list(ProviderAdjustment.objects.values_list("reason", "amount")) == [
        ("L6", D("-2.50")), ("WO", D("10.00"))]
    b = account_balances(practice=practice)
    assert b["cash"] == r.amount  # the deposit equals what the ledger says came in
    assert b["provider_adjustments"] == D("7.50")


def test_client_responsibility_invoice_for_exactly_the_share_once(practice, ctx):
    claim = submitted_claim(practice)
    _import(practice, ctx, era([copay_claim(claim)]))
    rc = RemittanceClaim.objects.get()
    assert client_share_pending(practice=practice, remittance_claim=rc) == D("20.00")
    invoice = remittance_claim_invoice_create(practice=practice, remittance_claim=rc,
                                                       ctx=ctx)
    assert (invoice.kind, invoice.status, invoice.total, invoice.client_id) == (
        InvoiceKind.CLIENT_RESPONSIBILITY, InvoiceStatus.DRAFT, D("20.00"), claim.client_id)
    line = invoice.lines.get()
    assert (line.amount, line.remittance_claim_id, line.cpt_code) == (D("20.00"), rc.pk, "90834")
    with pytest.raises(AlreadyInvoiced):
        remittance_claim_invoice_create(practice=practice, remittance_claim=rc,
                                                 ctx=ctx)
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []
    # the share was moved to the client by the 835: the invoice adds no second charge
    assert account_balances(practice=practice)["ar_client"] == D("20.00")


def test_pending_invoices_created_in_bulk_and_after_a_correction(practice, ctx):
    a, b, c = (submitted_claim(practice) for _ in range(3))
    full = C(c.patient_control_number, "130.00", "98.00", [Adj("CO", "45", "32.00")])
    _import(practice, ctx, era([copay_claim(a), copay_claim(b), full], trace="EFT1"))
    created = remittance_client_invoices_create(practice=practice, ctx=ctx)
    assert sorted((i.client_id, i.total) for i in created) == sorted(
        [(a.client_id, D("20.00")), (b.client_id, D("20.00"))])
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []
    # the payer reverses a's payment and corrects it with a $35 copay: $15 more is due
    reversal = C(a.patient_control_number, "-130.00", "-78.00",
                 [Adj("CO", "45", "-32.00"), Adj("PR", "3", "-20.00")], status="22")
    correction = C(a.patient_control_number, "130.00", "63.00",
                   [Adj("CO", "45", "32.00"), Adj("PR", "3", "35.00")])
    _import(practice, ctx, era([reversal, correction], trace="EFT2"))
    more = remittance_client_invoices_create(practice=practice, ctx=ctx)
    assert [(i.client_id, i.total) for i in more] == [(a.client_id, D("15.00"))]


def test_nothing_to_invoice_is_refused(practice, ctx):
    claim = submitted_claim(practice)
    _import(practice, ctx, era([C(claim.patient_control_number, "130.00", "98.00",
                                  [Adj("CO", "45", "32.00")])]))
    with pytest.raises(ValidationError):
        remittance_claim_invoice_create(
            practice=practice, remittance_claim=RemittanceClaim.objects.get(), ctx=ctx)


def test_clearinghouse_835_is_posted_by_the_handler(practice, ctx):
    claim = submitted_claim(practice)
    edi_file, created = edi_file_receive(raw=era([copay_claim(claim)]))
    assert created and edi_file.practice_id == practice.pk
    r = Remittance.objects.get(edi_file=edi_file)
    assert r.status == "posted"
    claim.refresh_from_db()
    assert claim.status == S.PARTIAL


def test_clearinghouse_835_that_does_not_balance_is_quarantined(practice, ctx):
    claim = submitted_claim(practice)
    edi_file, _ = edi_file_receive(raw=era([copay_claim(claim)], amount="1.00"))
    assert Remittance.objects.get(edi_file=edi_file).status == "quarantined"
    _nothing_posted(practice)


def test_an_era_for_another_practice_is_refused(practice, other_practice, ctx):
    claim = submitted_claim(practice)
    other_ctx = f.ctx_for(practice=other_practice)
    result = era_import(practice=other_practice, raw=era([copay_claim(claim)]), ctx=other_ctx)
    assert "another practice" in result.refusal
    assert not Remittance.objects.filter(practice=other_practice).exists()


def test_public_835_samples(practice, ctx):
    """Real-world samples: the unbalanced one is quarantined, the one with a damaged claim is
    held; the others post with their claims kept as unmatched (they are not our claims)."""
    for name, expected in [("835_own_unbalanced.835", {"quarantined"}),
                           # its second claim's SVC01 uses a wrong component separator:
                           # that claim is damaged, so the ERA is held for a biller
                           ("835_lfh_secondary_payment.835", {"damaged"}),
                           ("835_own_bom_crlf_two_interchanges.835", {"partially_unmatched"}),
                           ("835_edi835parser_emedny_sample.txt", None)]:
        raw = open(f"x12/tests/fixtures/{name}", encoding="utf-8-sig").read()
        result = _import(practice, ctx, raw)
        states = {o.state for o in result.outcomes}
        assert result.outcomes, name
        if expected is not None:
            assert states == expected, (name, result.lines())
    assert JournalEntry.objects.filter(practice=practice).count() == 0 or \
        journal_entry_unbalanced_ids(practice=practice) == []
