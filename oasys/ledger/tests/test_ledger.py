"""The journal: posting hooks, idempotency, the append-only guard, balances, aging by hand,
views/API tenancy, and a Hypothesis state machine over random sequences of events."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from oasys.billing.tests import factories as f
from oasys.clearinghouse.models import Direction, EdiFile, FileStatus
from oasys.core.services import practice_create
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_for_session
from oasys.ledger.domain import Leg, Unbalanced
from oasys.ledger.models import JournalEntry, JournalLine
from oasys.ledger.selectors import (
    account_balances,
    ar_aging,
    claim_balances,
    client_balance,
    invoice_figures_one,
    journal_entry_unbalanced_ids,
)
from oasys.ledger.services import (
    journal_post,
    ledger_post_claim_charge,
    ledger_post_client_payment,
    ledger_post_invoice_charge,
    ledger_post_refund,
    ledger_post_remittance_claim,
    ledger_post_write_off,
    ledger_reverse,
)
from oasys.remittance.models import Remittance, RemittanceClaim
from oasys.remittance.tests.helpers import submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


def _invoice(practice, amount="150.00", days_ago=2) -> Invoice:
    appt = f.self_pay_session(practice, days_ago=days_ago)
    return invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                      amount=D(amount), cpt="90834",
                                      ctx=f.ctx_for(practice=practice))


_n = itertools.count(1)


def _remittance(practice) -> Remittance:
    n = next(_n)
    edi = EdiFile.objects.create(practice=practice, direction=Direction.INBOUND, set_id="835",
                                 raw=f"test {n}", sha256=f"{n:064d}", status=FileStatus.PARSED)
    return Remittance.objects.create(practice=practice, edi_file=edi, status="posted")


def _rc(practice, remittance, claim, *, paid, contractual, client, status="1") -> RemittanceClaim:
    charge = D(paid) + D(contractual) + D(client)
    return RemittanceClaim.objects.create(
        practice=practice, remittance=remittance, position=next(_n), claim=claim,
        client_id=claim.client_id, patient_control_number=claim.patient_control_number,
        status_code=status, charge=charge, paid=D(paid), contractual_amount=D(contractual),
        client_share=D(client))


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def test_claim_charge_posts_once_and_balances(practice, ctx):
    claim = submitted_claim(practice)
    first = ledger_post_claim_charge(claim=claim, ctx=ctx)
    again = ledger_post_claim_charge(claim=claim, ctx=ctx)
    assert first.pk == again.pk
    assert JournalEntry.objects.filter(practice=practice).count() == 1
    assert claim_balances(practice=practice, claim_id=claim.pk)["ar_insurance"] == D("130.00")
    assert account_balances(practice=practice)["revenue"] == D("-130.00")


def test_journal_is_append_only(practice, ctx):
    claim = submitted_claim(practice)
    entry = ledger_post_claim_charge(claim=claim, ctx=ctx)
    line = entry.lines.first()
    for action in (lambda: entry.save(), lambda: entry.delete(), lambda: line.save(),
                   lambda: line.delete(),
                   lambda: JournalLine.objects.filter(pk=line.pk).update(debit=1),
                   lambda: JournalEntry.objects.all().delete()):
        with pytest.raises(PermissionError):
            action()


def test_unbalanced_entry_is_refused(practice, ctx):
    with pytest.raises(Unbalanced):
        journal_post(practice=practice, entry_type="charge", source_key="x", ctx=ctx,
                     legs=[Leg("cash", debit=D("1.00")), Leg("revenue", credit=D("2.00"))])
    assert JournalEntry.objects.count() == 0


def test_write_off_refund_payment_and_reversal(practice, ctx):
    claim = submitted_claim(practice)
    ledger_post_claim_charge(claim=claim, ctx=ctx)
    with pytest.raises(ValidationError):
        ledger_post_write_off(claim=claim, amount=D("130.01"), reason="denied", ctx=ctx)
    w = ledger_post_write_off(claim=claim, amount=D("30.00"), reason="denied CO-197", ctx=ctx)
    assert ledger_post_write_off(claim=claim, amount=D("30.00"), reason="denied CO-197",
                                 ctx=ctx).pk == w.pk
    assert claim_balances(practice=practice, claim_id=claim.pk)["ar_insurance"] == D("100.00")
    rev = ledger_reverse(entry=w, reason="appeal won", ctx=ctx)
    assert ledger_reverse(entry=w, reason="again", ctx=ctx).pk == rev.pk
    assert claim_balances(practice=practice, claim_id=claim.pk)["ar_insurance"] == D("130.00")

    invoice = _invoice(practice)
    ledger_post_invoice_charge(invoice=invoice, ctx=ctx)
    ledger_post_client_payment(invoice=invoice, amount=D("150.00"), reference="ch_1", ctx=ctx)
    ledger_post_client_payment(invoice=invoice, amount=D("150.00"), reference="ch_1", ctx=ctx)
    assert client_balance(practice=practice, client_id=invoice.client_id) == ZERO
    # a refund of a paid invoice comes off revenue: the client does not owe it again
    ledger_post_refund(invoice=invoice, amount=D("50.00"), reference="re_1", ctx=ctx)
    assert client_balance(practice=practice, client_id=invoice.client_id) == ZERO
    b = account_balances(practice=practice)
    assert b["cash"] == D("100.00") and sum(b.values()) == 0
    # an overpayment leaves a credit; refunding it clears the credit, revenue untouched
    ledger_post_client_payment(invoice=invoice, amount=D("20.00"), reference="ch_2", ctx=ctx)
    revenue = account_balances(practice=practice)["revenue"]
    ledger_post_refund(invoice=invoice, amount=D("20.00"), reference="re_2", ctx=ctx)
    assert client_balance(practice=practice, client_id=invoice.client_id) == ZERO
    assert account_balances(practice=practice)["revenue"] == revenue
    assert journal_entry_unbalanced_ids(practice=practice) == []


def test_aging_buckets_by_hand(practice, ctx):
    today = timezone.localdate()
    recent = submitted_claim(practice, days_ago=10)  # 0-30
    old = submitted_claim(practice, days_ago=45)  # 31-60
    older = submitted_claim(practice, days_ago=100)  # 91-120
    for c in (recent, old, older):
        ledger_post_claim_charge(claim=c, ctx=ctx)
    # older: the payer paid 78, contractual 32, the client owes 20 (ages with the session)
    rem = _remittance(practice)
    ledger_post_remittance_claim(remittance_claim=_rc(practice, rem, older, paid="78.00",
                                                      contractual="32.00", client="20.00"),
                                 ctx=ctx)
    inv = _invoice(practice, amount="90.00", days_ago=1)  # invoice dated today: 0-30
    Invoice.objects.filter(pk=inv.pk).update(issue_date=today - dt.timedelta(days=70))
    inv.refresh_from_db()
    ledger_post_invoice_charge(invoice=inv, ctx=ctx)  # 61-90 by invoice date
    ledger_post_client_payment(invoice=inv, amount=D("40.00"), reference="p1", ctx=ctx)

    report = ar_aging(practice=practice, today=today)
    assert report.insurance == {"0-30": D("130.00"), "31-60": D("130.00"),
                                "61-90": ZERO, "91-120": ZERO, "120+": ZERO}
    assert report.client == {"0-30": ZERO, "31-60": ZERO, "61-90": D("50.00"),
                             "91-120": D("20.00"), "120+": ZERO}
    # the grand-total row: both kinds per bucket, and the sum of every bucket
    assert report.total == {"0-30": D("130.00"), "31-60": D("130.00"), "61-90": D("50.00"),
                            "91-120": D("20.00"), "120+": ZERO}
    assert report.grand_total == D("330.00")
    assert report.insurance_total + report.client_total == (
        account_balances(practice=practice)["ar_insurance"]
        + account_balances(practice=practice)["ar_client"])


def test_aging_and_client_ledger_pages(owner_client, practice, ctx, other_owner):
    claim = submitted_claim(practice, days_ago=40)
    ledger_post_claim_charge(claim=claim, ctx=ctx)
    resp = owner_client.get("/billing/reports/aging/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<svg" in body and 'data-testid="aging-table"' in body and "$130.00" in body
    resp = owner_client.get(f"/billing/reports/clients/{claim.client_id}/")
    assert resp.status_code == 200 and "Client balance" in resp.content.decode()
    owner_client.force_login(other_owner)
    assert owner_client.get(f"/billing/reports/clients/{claim.client_id}/").status_code == 404
    assert claim.client.last_name not in owner_client.get("/billing/reports/aging/").content \
        .decode()


def test_ledger_api(api_client, practice, ctx, other_practice):
    claim = submitted_claim(practice)
    ledger_post_claim_charge(claim=claim, ctx=ctx)
    data = api_client.get("/api/v1/ledger/aging").json()
    assert data["insurance"]["0-30"] == "130.00" and data["client"]["120+"] == "0.00"
    assert data["total"]["0-30"] == "130.00" and data["grand_total"] == "130.00"
    bal = api_client.get(f"/api/v1/ledger/clients/{claim.client_id}/balance").json()
    assert bal == {"client_id": claim.client_id, "balance": "0.00", "insurance_open": "130.00"}
    stranger = f.make_client(other_practice)
    assert api_client.get(f"/api/v1/ledger/clients/{stranger.pk}/balance").status_code == 404


# --- the state machine ------------------------------------------------------------------------
amounts = st.integers(min_value=1, max_value=30000).map(lambda n: D(n) / 100)
signed = st.integers(min_value=-20000, max_value=20000).map(lambda n: D(n) / 100)


class LedgerMachine(RuleBasedStateMachine):
    """Random sequences of charges, 835 postings (reversals too), write-offs, invoice charges,
    client payments, refunds, replays and reversals. The model keeps its own books; after
    every step the journal's balances must equal it, and every entry must balance."""

    def __init__(self):
        super().__init__()
        n = next(_n)
        self.practice = practice_create(name=f"Machine {n}", slug=f"machine-{n}")
        self.ctx = f.ctx_for(practice=self.practice)
        self.claims = [submitted_claim(self.practice) for _ in range(2)]
        self.invoices = [_invoice(self.practice, amount="120.00") for _ in range(2)]
        self.remittance = _remittance(self.practice)
        self.accounts: dict[str, Decimal] = {}
        self.ar_ins: dict[int, Decimal] = {}
        self.ar_client: dict[int, Decimal] = {}
        self.effects: dict[int, list[tuple[str, int | None, int | None, Decimal]]] = {}
        for i in range(2):  # creating an invoice already posts its charge
            self.charge_invoice(i)

    # a posted entry's effect: (account, claim id, client id, debit - credit)
    def _apply(self, entry, effects) -> None:
        if entry.pk in self.effects:
            return  # a replay: the journal must not have changed either
        self.effects[entry.pk] = effects
        for account, claim_id, client_id, amount in effects:
            self.accounts[account] = self.accounts.get(account, ZERO) + amount
            if account == "ar_insurance" and claim_id:
                self.ar_ins[claim_id] = self.ar_ins.get(claim_id, ZERO) + amount
            if account == "ar_client" and client_id:
                self.ar_client[client_id] = self.ar_client.get(client_id, ZERO) + amount

    @rule(i=st.integers(0, 1))
    def charge_claim(self, i):
        c = self.claims[i]
        e = ledger_post_claim_charge(claim=c, ctx=self.ctx)
        self._apply(e, [("ar_insurance", c.pk, c.client_id, c.total_charge),
                        ("revenue", c.pk, c.client_id, -c.total_charge)])

    @rule(i=st.integers(0, 1), paid=signed, contractual=signed, client=signed,
          reversal=st.booleans())
    def post_835_claim(self, i, paid, contractual, client, reversal):
        c = self.claims[i]
        rc = _rc(self.practice, self.remittance, c, paid=paid, contractual=contractual,
                 client=client, status="22" if reversal else "1")
        for e in ledger_post_remittance_claim(remittance_claim=rc, ctx=self.ctx):
            part = e.source_key.rsplit(":", 1)[1]
            amount = {"payment": paid, "contractual": contractual, "client": client}[part]
            account = {"payment": "cash", "contractual": "contractual_adjustments",
                       "client": "ar_client"}[part]
            self._apply(e, [(account, c.pk, c.client_id, amount),
                            ("ar_insurance", c.pk, c.client_id, -amount)])

    @rule(i=st.integers(0, 1), amount=amounts, reason=st.sampled_from(["denied", "small"]))
    def write_off(self, i, amount, reason):
        c = self.claims[i]
        open_now = self.ar_ins.get(c.pk, ZERO)
        try:
            e = ledger_post_write_off(claim=c, amount=amount, reason=reason, ctx=self.ctx)
        except ValidationError:
            assert amount > open_now
            return
        if e.pk not in self.effects:
            assert amount <= open_now
        self._apply(e, [("write_offs", c.pk, c.client_id, amount),
                        ("ar_insurance", c.pk, c.client_id, -amount)])

    @rule(i=st.integers(0, 1))
    def charge_invoice(self, i):
        inv = self.invoices[i]
        e = ledger_post_invoice_charge(invoice=inv, ctx=self.ctx)
        self._apply(e, [("ar_client", None, inv.client_id, inv.total),
                        ("revenue", None, inv.client_id, -inv.total)])

    @rule(i=st.integers(0, 1), amount=amounts, ref=st.sampled_from(["a", "b", "c"]))
    def client_payment(self, i, amount, ref):
        inv = self.invoices[i]
        e = ledger_post_client_payment(invoice=inv, amount=amount, reference=ref, ctx=self.ctx)
        amount = e.lines.get(account="cash").debit  # a replayed reference keeps its amount
        self._apply(e, [("cash", None, inv.client_id, amount),
                        ("ar_client", None, inv.client_id, -amount)])

    @rule(i=st.integers(0, 1), amount=amounts, ref=st.sampled_from(["r1", "r2"]))
    def refund(self, i, amount, ref):
        inv = self.invoices[i]
        credit = invoice_figures_one(practice=self.practice, invoice=inv).credit
        e = ledger_post_refund(invoice=inv, amount=amount, reference=ref, ctx=self.ctx)
        amount = e.lines.get(account="cash").credit
        # it clears the invoice's credit first, and the rest comes off revenue
        clears = sum((ln.debit for ln in e.lines.filter(account="ar_client")), ZERO)
        if e.pk not in self.effects:
            assert clears == min(amount, credit)
        self._apply(e, [("ar_client", None, inv.client_id, clears),
                        ("revenue", None, inv.client_id, amount - clears),
                        ("cash", None, inv.client_id, -amount)])

    @rule(data=st.data())
    def reverse(self, data):
        candidates = sorted(self.effects)
        if not candidates:
            return
        pk = data.draw(st.sampled_from(candidates))
        entry = JournalEntry.objects.get(pk=pk)
        e = ledger_reverse(entry=entry, reason="mistake", ctx=self.ctx)
        self._apply(e, [(a, cl, cli, -amt) for a, cl, cli, amt in self.effects[pk]])

    @invariant()
    def books_agree(self):
        b = account_balances(practice=self.practice)
        for account, amount in b.items():
            assert amount == self.accounts.get(account, ZERO), account
        assert sum(b.values()) == ZERO  # debits equal credits over the whole journal
        assert journal_entry_unbalanced_ids(practice=self.practice) == []
        for c in self.claims:
            assert claim_balances(practice=self.practice, claim_id=c.pk)["ar_insurance"] == \
                self.ar_ins.get(c.pk, ZERO)
        for inv in self.invoices:
            assert client_balance(practice=self.practice, client_id=inv.client_id) == \
                self.ar_client.get(inv.client_id, ZERO)
        assert JournalEntry.objects.filter(practice=self.practice).count() == len(self.effects)

    @invariant()
    def cached_figures_are_the_journal(self):
        """Claim.paid_amount / patient_responsibility and Invoice.total equal a fresh
        aggregate of the journal after every posting (the ledger refreshes only the rows an
        entry changes, so this catches a refresh it skipped wrongly)."""
        lines = JournalLine.objects.filter(practice=self.practice)
        for c in self.claims:
            c.refresh_from_db(fields=["paid_amount", "patient_responsibility"])
            from_835 = lines.filter(claim_id=c.pk, remittance__isnull=False)
            for field, account in (("paid_amount", "cash"),
                                   ("patient_responsibility", "ar_client")):
                got = from_835.filter(account=account).aggregate(
                    d=Sum("debit"), c=Sum("credit"))
                assert getattr(c, field) == (got["d"] or ZERO) - (got["c"] or ZERO), field
        for inv in self.invoices:
            billing = lines.filter(invoice_id=inv.pk, account="ar_client",
                                   entry__entry_type__in=("charge", "client_share_invoiced"))
            want = (billing.aggregate(x=Sum("debit"))["x"] if billing.exists()
                    else inv.lines.aggregate(x=Sum("amount"))["x"])
            assert Invoice.objects.get(pk=inv.pk).total == want


def test_ledger_state_machine(db):
    run_state_machine_as_test(LedgerMachine, settings=hsettings(
        max_examples=20, stateful_step_count=15, deadline=None, database=None))
