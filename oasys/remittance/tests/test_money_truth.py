"""The journal is the only truth for money: a claim's paid and client-share figures follow
its 835s through the ledger, references make postings idempotent, and a claim billed to a
secondary payer holds the client's share until the secondary answers (issue 10, item 9)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.claims.secondary import claim_secondary_create
from oasys.claims.status import ClaimStatus
from oasys.clients.models import PolicyPriority
from oasys.core.errors import InvalidInput
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_for_session
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import (
    account_balances,
    claim_figures,
    client_balance,
    client_balances,
    invoice_figures_one,
    journal_entry_unbalanced_ids,
)
from oasys.ledger.services import journal_post, ledger_post_client_payment, ledger_post_refund
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.selectors import client_share_pending
from oasys.remittance.services import (
    era_import,
    remittance_claim_invoice_create,
    remittance_client_invoices_create,
)

from .helpers import Adj, C, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def test_apply_adjudication_then_reversal_and_correction(practice, ctx):
    """Moved from claims/tests/test_inbound.py: the claim's money now follows the ledger
    (the 835 posting), so the same sequence runs through real ERAs."""
    claim = submitted_claim(practice)
    pcn = claim.patient_control_number
    era_import(practice=practice, ctx=ctx, raw=era(
        [C(pcn, "130.00", "88.20", [Adj("CO", "45", "41.80")], payer_claim_number="P1")],
        trace="T1"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.paid_amount == Decimal("88.20")
    era_import(practice=practice, ctx=ctx, raw=era(
        [C(pcn, "-130.00", "-88.20", [Adj("CO", "45", "-41.80")], status="22",
           payer_claim_number="P1")], trace="T2"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.paid_amount == Decimal("0.00")
    era_import(practice=practice, ctx=ctx, raw=era(
        [C(pcn, "130.00", "78.00", [Adj("CO", "45", "32.00"), Adj("PR", "3", "20.00")],
           payer_claim_number="P1")], trace="T3"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTIAL
    assert (claim.paid_amount, claim.patient_responsibility) == (Decimal("78.00"), Decimal("20.00"))
    figures = claim_figures(practice=practice, claim=claim)
    assert (figures.paid, figures.client_share) == (claim.paid_amount,
                                                   claim.patient_responsibility)


def test_a_payment_needs_a_reference_and_reposting_it_returns_the_entry(practice, ctx):
    appt = f.self_pay_session(practice)

    invoice = invoice_opened(invoice_create_for_session(
        practice=practice, appointment_id=appt.pk, amount=D("100.00"), cpt="90834", ctx=ctx))
    for post in (ledger_post_client_payment, ledger_post_refund):
        with pytest.raises(InvalidInput):
            post(invoice=invoice, amount=D("10.00"), reference="", ctx=ctx)
        with pytest.raises(TypeError):
            post(invoice=invoice, amount=D("10.00"), ctx=ctx)  # reference is required
    with pytest.raises(InvalidInput):
        journal_post(practice=practice, entry_type="charge", source_key=" ", legs=[], ctx=ctx)
    first = ledger_post_client_payment(invoice=invoice, amount=D("40.00"), reference="ch_9",
                                       ctx=ctx)
    again = ledger_post_client_payment(invoice=invoice, amount=D("40.00"), reference="ch_9",
                                       ctx=ctx)
    assert again.pk == first.pk
    assert JournalEntry.objects.filter(practice=practice, entry_type="client_payment").count() \
        == 1
    fig = invoice_figures_one(practice=practice, invoice=invoice)
    assert (fig.total, fig.paid, fig.balance) == (D("100.00"), D("40.00"), D("60.00"))
    assert client_balance(practice=practice, client_id=invoice.client_id) == D("60.00")


# --- item 9: the secondary ----------------------------------------------------------------------
def _primary_with_secondary(practice, ctx):
    """A $130 claim the primary paid $49 of, leaving the client $49 (coinsurance), and the
    client has a secondary insurer on file."""
    claim = submitted_claim(practice)
    second = f.make_payer(name="CIGNA", payer_id="62308")
    f.accept_payer(practice, second)
    f.make_policy(claim.client, second, priority=PolicyPriority.SECONDARY, member_id="SEC1")
    era_import(practice=practice, ctx=ctx, raw=era([C(
        claim.patient_control_number, "130.00", "49.00",
        [Adj("CO", "45", "32.00"), Adj("PR", "2", "49.00")], status="1",
        payer_claim_number="PRI-1")], trace="PRI"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTIAL
    return claim


def _secondary_era(secondary, *, paid: str, client: str, trace: str = "SEC") -> str:
    prior = D("130.00") - D(paid) - D(client)
    adjustments = [Adj("OA", "23", f"{prior:.2f}")]
    if D(client):
        adjustments.append(Adj("PR", "2", client))
    return era([C(secondary.patient_control_number, "130.00", paid, adjustments, status="2",
                  payer_claim_number="SEC-1")], trace=trace, payer="CIGNA")


def _books(practice):
    assert journal_entry_unbalanced_ids(practice=practice) == []
    assert sum(account_balances(practice=practice).values()) == 0


def test_billing_the_secondary_holds_the_client_share_then_invoices_what_is_left(
        practice, ctx, owner_client):
    """The browser report: "Bill secondary" left the ERA offering "Create invoice" for the
    client's share, which was created; the secondary then paid, and the client page read
    "Client balance $269.50, Insurance still owes $-165.00"."""
    primary = _primary_with_secondary(practice, ctx)
    rc = RemittanceClaim.objects.get(claim=primary)
    assert client_share_pending(practice=practice, remittance_claim=rc) == D("49.00")

    secondary = claim_secondary_create(claim=primary, ctx=ctx)
    # held: nothing offered, by hand or in bulk, and the ERA page offers no invoice
    assert client_share_pending(practice=practice, remittance_claim=rc) == 0
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []
    with pytest.raises(ValidationError):
        remittance_claim_invoice_create(practice=practice, remittance_claim=rc, ctx=ctx)
    page = owner_client.get(reverse("remittance:detail", args=[rc.remittance_id]))
    assert b"Create invoice" not in page.content
    assert client_balance(practice=practice, client_id=primary.client_id) == 0
    b = client_balances(practice=practice, client_id=primary.client_id)
    assert b["ar_insurance"] == D("49.00")  # owed by the secondary now
    assert claim_figures(practice=practice, claim=primary).held_for_secondary == D("49.00")

    # the secondary pays $40 and leaves the client $9
    era_import(practice=practice, ctx=ctx, raw=_secondary_era(secondary, paid="40.00",
                                                              client="9.00"))
    secondary.refresh_from_db()
    assert secondary.paid_amount == D("40.00") and secondary.patient_responsibility == D("9.00")
    b = client_balances(practice=practice, client_id=primary.client_id)
    assert (b["ar_client"], b["ar_insurance"]) == (D("9.00"), D("0.00"))
    [invoice] = remittance_client_invoices_create(practice=practice, ctx=ctx)
    assert invoice.total == D("9.00")
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []
    assert Invoice.objects.filter(practice=practice).count() == 1
    page = owner_client.get(reverse("ledger:client", args=[primary.client_id])).content.decode()
    assert 'data-testid="client-balance">$9.00<' in page
    assert 'data-testid="insurance-open">$0.00<' in page and "$-" not in page
    _books(practice)


def test_a_share_invoiced_before_the_secondary_was_billed_moves_with_it(practice, ctx):
    primary = _primary_with_secondary(practice, ctx)
    [first] = remittance_client_invoices_create(practice=practice, ctx=ctx)
    assert first.total == D("49.00")
    secondary = claim_secondary_create(claim=primary, ctx=ctx)
    fig = invoice_figures_one(practice=practice, invoice=first)
    assert (fig.total, fig.moved_to_insurance, fig.balance) == (D("49.00"), D("49.00"), 0)
    era_import(practice=practice, ctx=ctx, raw=_secondary_era(secondary, paid="49.00",
                                                              client="0.00"))
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []
    b = client_balances(practice=practice, client_id=primary.client_id)
    assert (b["ar_client"], b["ar_insurance"]) == (0, 0)
    _books(practice)


def test_a_secondary_that_pays_more_than_was_held_shows_a_credit(practice, ctx, owner_client):
    primary = _primary_with_secondary(practice, ctx)
    secondary = claim_secondary_create(claim=primary, ctx=ctx)
    era_import(practice=practice, ctx=ctx, raw=era([C(
        secondary.patient_control_number, "130.00", "98.00", [Adj("CO", "45", "32.00")],
        status="2", payer_claim_number="SEC-1")], trace="SEC", payer="CIGNA"))
    b = client_balances(practice=practice, client_id=primary.client_id)
    assert (b["ar_client"], b["ar_insurance"]) == (D("0.00"), D("-49.00"))
    page = owner_client.get(reverse("ledger:client", args=[primary.client_id])).content.decode()
    assert "Insurance overpaid" in page and "$49.00 credit" in page and "$-" not in page
    page = owner_client.get(reverse("claims:detail", args=[secondary.pk])).content.decode()
    assert "Payer overpaid" in page and "$49.00 credit" in page and "$-" not in page
    _books(practice)
