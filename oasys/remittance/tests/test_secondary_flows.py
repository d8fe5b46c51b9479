"""Hypothesis over primary -> secondary -> client-invoice flows (issue 10, item 9): random
charges, allowed amounts, primary payments and client shares; the client's share invoiced
(and partly paid) before the secondary is billed, or not; the secondary paying all, part,
nothing (a denial), more than was held, or settling part under its contract; invoices made
after it answers, or not. After every flow the journal balances, the claim page's figures
(claim_figures, and the claims' cached figures) and the client page's figures
(client_balances) agree with each other and with a hand model, and no receivable is
negative except a credit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from oasys.billing.tests import factories as f
from oasys.claims.secondary import claim_secondary_create
from oasys.claims.status import ClaimStatus
from oasys.clients.models import PolicyPriority
from oasys.invoices.models import Invoice
from oasys.ledger.selectors import (
    claim_figures,
    client_balances,
    invoice_figures,
    journal_entry_unbalanced_ids,
)
from oasys.ledger.services import ledger_post_client_payment
from oasys.practice.models import Payer
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.selectors import client_share_pending
from oasys.remittance.services import era_import, remittance_client_invoices_create

from .helpers import Adj, C, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")
_trace = itertools.count(1)


@dataclass(frozen=True)
class Flow:
    charge: D
    contractual: D  # the primary's CO-45
    paid: D  # by the primary
    share: D  # PR the primary left the client
    invoice_before: bool
    client_pays: D  # on the invoice, before the secondary is billed
    answer: str  # all, part, nothing, deny, over, contract
    sec_paid: D
    sec_contract: D
    sec_client: D
    invoice_after: bool


def cents(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda n: D(n) / 100)


@st.composite
def flows(draw) -> Flow:
    charge = draw(cents(5000, 50000))
    allowed = draw(cents(200, int(charge * 100)))
    share = draw(cents(100, int(allowed * 100)))
    paid = allowed - share
    invoice_before = draw(st.booleans())
    client_pays = draw(cents(0, int(share * 100))) if invoice_before and draw(
        st.booleans()) else ZERO
    answer = draw(st.sampled_from(["all", "part", "nothing", "deny", "over", "contract"]))
    room = charge - share  # what CARC 23 can restate: the primary's part
    sec_paid = sec_contract = ZERO
    if answer == "all":
        sec_paid = share
    elif answer == "part":
        sec_paid = draw(cents(1, int(share * 100)))
    elif answer == "over" and room > 0:
        sec_paid = share + draw(cents(1, int(room * 100)))
    elif answer == "contract":
        sec_paid = draw(cents(0, int(share * 100)))
        sec_contract = draw(cents(0, int((share - sec_paid) * 100)))
    sec_client = ZERO if answer == "deny" else max(share - sec_paid - sec_contract, ZERO)
    return Flow(charge, charge - allowed, paid, share, invoice_before, client_pays, answer,
                sec_paid, sec_contract, sec_client, draw(st.booleans()))


def _primary_era(claim, flow: Flow) -> str:
    adjustments = [a for a in (Adj("CO", "45", f"{flow.contractual:.2f}"),
                               Adj("PR", "2", f"{flow.share:.2f}")) if D(a.amount)]
    return era([C(claim.patient_control_number, f"{flow.charge:.2f}", f"{flow.paid:.2f}",
                  adjustments, payer_claim_number=f"P{claim.pk}")],
               trace=f"PRI{next(_trace)}")


def _secondary_era(secondary, flow: Flow) -> str:
    sec_denied = flow.share if flow.answer == "deny" else ZERO
    prior = flow.charge - flow.sec_paid - flow.sec_contract - flow.sec_client - sec_denied
    adjustments = [a for a in (Adj("OA", "23", f"{prior:.2f}"),
                               Adj("CO", "45", f"{flow.sec_contract:.2f}"),
                               Adj("CO", "109", f"{sec_denied:.2f}"),
                               Adj("PR", "2", f"{flow.sec_client:.2f}")) if D(a.amount)]
    status = "4" if flow.answer == "deny" else "2"
    return era([C(secondary.patient_control_number, f"{flow.charge:.2f}",
                  f"{flow.sec_paid:.2f}", adjustments, status=status,
                  payer_claim_number=f"S{secondary.pk}")],
               trace=f"SEC{next(_trace)}", payer="CIGNA")


def _expected(flow: Flow) -> tuple[D, D, D]:
    """(held for the secondary, what the client owes at the end, insurance open at the end)
    by the posting rules, worked by hand."""
    held = flow.share - flow.client_pays
    left = max(held - flow.sec_paid, ZERO)
    contract = min(flow.sec_contract, left)
    back = left - contract
    insurance = min(held - flow.sec_paid, ZERO)  # a payer credit when it paid more
    return held, back, insurance


def _check_views_agree(practice, claims, client_id):
    """The claim pages, the cached figures, the client page and the journal say the same."""
    figs = [claim_figures(practice=practice, claim=c) for c in claims]
    for c, fig in zip(claims, figs, strict=True):
        c.refresh_from_db()
        assert (c.paid_amount, c.patient_responsibility) == (fig.paid, fig.client_share)
    client = client_balances(practice=practice, client_id=client_id)
    assert client["ar_client"] == sum((fg.client_open for fg in figs), ZERO)
    assert client["ar_insurance"] == sum((fg.insurance_open for fg in figs), ZERO)
    invoices = Invoice.objects.filter(practice=practice, client_id=client_id)
    by_invoice = invoice_figures(practice=practice, invoice_ids=[i.pk for i in invoices])
    # every client receivable on these claims is on an invoice or still to be invoiced
    assert sum((fg.balance for fg in by_invoice.values()), ZERO) <= client["ar_client"]
    assert all(fg.balance >= 0 for fg in by_invoice.values())
    assert journal_entry_unbalanced_ids(practice=practice) == []
    return client, figs


@given(flow=flows())
# Each example makes its own claims, client and ERAs, and checks only those (the practice is
# shared on purpose), so the function-scoped fixture is safe here.
@hsettings(max_examples=25, deadline=None, database=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_primary_secondary_client_flows_keep_every_figure_equal(practice, flow):
    ctx = f.ctx_for(practice=practice)
    second = Payer.objects.filter(payer_id_claims="62308").first()
    if second is None:
        second = f.make_payer(name="CIGNA", payer_id="62308")
        f.accept_payer(practice, second)
    primary = submitted_claim(practice, charge=f"{flow.charge:.2f}")
    client_id = primary.client_id
    f.make_policy(primary.client, second, priority=PolicyPriority.SECONDARY,
                  member_id=f"SEC{primary.pk}")
    era_import(practice=practice, ctx=ctx, raw=_primary_era(primary, flow))
    primary.refresh_from_db()
    assert primary.status == ClaimStatus.PARTIAL
    _check_views_agree(practice, [primary], client_id)

    if flow.invoice_before:
        [inv] = [i for i in remittance_client_invoices_create(practice=practice, ctx=ctx)
                 if i.client_id == client_id]
        assert inv.total == flow.share
        if flow.client_pays:
            ledger_post_client_payment(invoice=inv, amount=flow.client_pays,
                                       reference=f"pay-{inv.pk}", ctx=ctx)
    secondary = claim_secondary_create(claim=primary, ctx=ctx)
    held, back, insurance = _expected(flow)
    rc = RemittanceClaim.objects.get(claim=primary)
    assert client_share_pending(practice=practice, remittance_claim=rc) == 0  # held
    assert not [i for i in remittance_client_invoices_create(practice=practice, ctx=ctx)
                if i.client_id == client_id]
    client, figs = _check_views_agree(practice, [primary, secondary], client_id)
    assert figs[0].held_for_secondary == held
    assert (client["ar_client"], client["ar_insurance"]) == (ZERO, held)

    era_import(practice=practice, ctx=ctx, raw=_secondary_era(secondary, flow))
    client, figs = _check_views_agree(practice, [primary, secondary], client_id)
    assert (client["ar_client"], client["ar_insurance"]) == (back, insurance)
    assert client["ar_client"] >= 0  # the client never shows a negative balance here
    if client["ar_insurance"] < 0:  # only a payer's overpayment, shown as a credit
        assert flow.sec_paid > held
        assert figs[1].insurance_credit == flow.sec_paid - held == -client["ar_insurance"]

    if flow.invoice_after:
        made = [i for i in remittance_client_invoices_create(practice=practice, ctx=ctx)
                if i.client_id == client_id]
        assert sum((i.total for i in made), ZERO) == back
        assert len(made) == (1 if back > 0 else 0)
        # nothing is ever invoiced twice
        assert not [i for i in remittance_client_invoices_create(practice=practice, ctx=ctx)
                    if i.client_id == client_id]
        _check_views_agree(practice, [primary, secondary], client_id)
