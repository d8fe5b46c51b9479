"""After a mixed day of invoicing -- sends paid by card, a decline, a partial payment by
hand, a refund, a void, a client paying on the hosted page (webhooks late, out of order and
twice), the overdue run, a Draft, an insurance claim beside them -- each client's balance
and the AR aging report agree with the journal, line for line, and with the figures the
invoice pages show. Through the product's services on the fake Stripe."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db.models import Sum

from oasys.billing.tests import factories as f
from oasys.core.audit import AuditContext
from oasys.invoices.actions import (
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_void,
    invoices_overdue_mark,
)
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.invoices.sending import invoice_send
from oasys.invoices.services import invoice_create_standalone
from oasys.ledger.models import Account, JournalLine
from oasys.ledger.selectors import (
    account_balances,
    ar_aging,
    client_balance,
    invoice_figures,
    journal_entry_unbalanced_ids,
)
from oasys.ledger.services import ledger_post_claim_charge
from oasys.payments.models import StripeWebhookEvent
from oasys.remittance.tests.helpers import submitted_claim

from .fake_world import account_active, card_save, committed, day_after, deliver, hosted_pay

pytestmark = pytest.mark.django_db

S = InvoiceStatus
D = Decimal
ZERO = D("0.00")


def _journal_ar_client(practice, **filters) -> Decimal:
    agg = JournalLine.objects.filter(practice=practice, account=Account.AR_CLIENT,
                                     **filters).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (agg["d"] or ZERO) - (agg["c"] or ZERO)


@pytest.fixture
def day(practice, owner, payments):
    """The mixed day; answers (practice, clients by letter, invoices by name)."""
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    account = account_active(payments, practice)
    clients = {k: f.make_client(practice, first_name=k, email=f"{k.lower()}@example.com",
                                billing_type="cash") for k in "ABCD"}
    card_save(payments, account, clients["A"], "visa", ctx)
    card_save(payments, account, clients["B"], "chargeCustomerFail", ctx)
    today = dt.date.today()

    def standalone(letter: str, amount: str) -> Invoice:
        return invoice_create_standalone(
            practice=practice, client_id=clients[letter].pk, ctx=ctx, actor=owner,
            lines=[{"description": "Session fee", "date": today.isoformat(),
                    "amount": amount}])

    def send(letter: str, amount: str) -> Invoice:
        invoice = standalone(letter, amount)
        with committed():
            invoice_send(invoice=invoice, ctx=ctx, actor=owner)
        invoice.refresh_from_db()
        return invoice

    inv = {
        "a1": send("A", "100.00"),   # paid by the card on file, then refunded 30
        "b1": send("B", "80.00"),    # declined, later marked uncollectible
        "c1": send("C", "150.00"),   # 50 paid by check
        "c2": send("C", "60.00"),    # goes overdue
        "c3": send("C", "70.00"),    # paid on the hosted page, webhooks out of order, twice
        "d1": send("D", "200.00"),   # paid on the hosted page
        "d2": send("D", "45.00"),    # voided
        "d3": standalone("D", "30.00"),  # a Draft: bills nothing yet
    }
    assert inv["a1"].status == S.PAID and inv["b1"].status == S.OPEN
    acct = account.stripe_account_id
    with committed():
        invoice_refund(invoice=inv["a1"], amount="30.00", reason="shorter session",
                       token=str(uuid.uuid4()), ctx=ctx, actor=owner)
        invoice_record_payment(invoice=inv["c1"], amount="50.00", method="check",
                               received_on=today, reference="1042", token=str(uuid.uuid4()),
                               ctx=ctx, actor=owner)
        invoice_void(invoice=inv["d2"], ctx=ctx, actor=owner, reason="billed twice")
        invoice_mark_uncollectible(invoice=inv["b1"], ctx=ctx, actor=owner,
                                   reason="client unreachable")
    for event in hosted_pay(payments, acct, inv["d1"].stripe_invoice_id):
        deliver(payments, event)
    late = hosted_pay(payments, acct, inv["c3"].stripe_invoice_id)
    for event in [*reversed(late), *late]:
        deliver(payments, event)
    with committed():
        invoices_overdue_mark(now=day_after(inv["c2"].due_date))
    # an insurance claim charged the same day: its receivable is the payer's, not a client's
    claim = submitted_claim(practice)
    ledger_post_claim_charge(claim=claim, ctx=ctx)
    for invoice in inv.values():
        invoice.refresh_from_db()
    return practice, clients, inv, claim


def test_the_mixed_day_ends_where_expected(day):
    practice, clients, inv, _claim = day
    assert {k: v.status for k, v in inv.items()} == {
        "a1": S.PAID, "b1": S.UNCOLLECTIBLE, "c1": S.OVERDUE, "c2": S.OVERDUE,
        "c3": S.PAID, "d1": S.PAID, "d2": S.VOID, "d3": S.DRAFT}
    assert not StripeWebhookEvent.objects.filter(state="failed").exists()
    balances = {k: client_balance(practice=practice, client_id=c.pk)
                for k, c in clients.items()}
    # A: paid 100, 30 refunded: a refund gives money back, it does not make 30 owed again
    assert balances == {"A": ZERO, "B": ZERO, "C": D("160.00"), "D": ZERO}


def test_client_balances_agree_with_the_journal_and_the_invoices(day):
    practice, clients, inv, _claim = day
    assert journal_entry_unbalanced_ids(practice=practice) == []
    figures = invoice_figures(practice=practice, invoice_ids=[i.pk for i in inv.values()])
    for letter, client in clients.items():
        balance = client_balance(practice=practice, client_id=client.pk)
        assert balance == _journal_ar_client(practice, client_id=client.pk), letter
        mine = [i for i in inv.values() if i.client_id == client.pk]
        assert balance == sum((figures[i.pk].balance for i in mine), ZERO), letter
        for i in mine:
            assert figures[i.pk].balance == _journal_ar_client(practice, invoice_id=i.pk)
    assert figures[inv["d3"].pk].balance == ZERO
    assert not JournalLine.objects.filter(invoice_id=inv["d3"].pk).exists()


@pytest.mark.parametrize("days_later", [0, 45, 100])
def test_ar_aging_agrees_with_the_journal(day, days_later):
    practice, clients, inv, claim = day
    today = dt.date.today() + dt.timedelta(days=days_later)
    report = ar_aging(practice=practice, today=today)
    accounts = account_balances(practice=practice)
    # the report's client side is the whole client receivable: owed buckets less credits
    assert report.client_total - report.client_credit == accounts[Account.AR_CLIENT]
    assert report.insurance_total - report.insurance_credit == accounts[Account.AR_INSURANCE]
    figures = invoice_figures(practice=practice, invoice_ids=[i.pk for i in inv.values()])
    rows = {r.invoice_id: r for r in report.rows if r.kind == "client"}
    for name, invoice in inv.items():
        owed = figures[invoice.pk].balance
        if owed == 0:
            assert invoice.pk not in rows, (name, invoice.status)
        else:
            assert rows[invoice.pk].amount == owed, name
            assert rows[invoice.pk].client_id == invoice.client_id
    for letter, client in clients.items():
        mine = sum((r.amount for r in report.rows if r.kind == "client"
                    and r.client_id == client.pk), ZERO)
        assert mine == client_balance(practice=practice, client_id=client.pk), letter
    [ins] = [r for r in report.rows if r.kind == "insurance"]
    assert (ins.claim_id, ins.amount) == (claim.pk, claim.total_charge)
    # every invoice was issued today: all that is owed sits in one bucket
    bucket = {0: "0-30", 45: "31-60", 100: "91-120"}[days_later]
    owed = sum((b for b in (figures[i.pk].balance for i in inv.values()) if b > 0), ZERO)
    assert owed > 0
    assert report.client == {**dict.fromkeys(report.buckets, ZERO), bucket: owed}


def test_aging_follows_a_payment_made_after_the_day(day, owner):
    practice, clients, inv, _claim = day
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    before = ar_aging(practice=practice, today=dt.date.today() + dt.timedelta(days=40))
    c_before = client_balance(practice=practice, client_id=clients["C"].pk)
    with committed():
        invoice_record_payment(invoice=inv["c2"], amount="60.00", method="cash",
                               received_on=dt.date.today(), token=str(uuid.uuid4()),
                               ctx=ctx, actor=owner)
    report = ar_aging(practice=practice, today=dt.date.today() + dt.timedelta(days=40))
    assert report.client["31-60"] == before.client["31-60"] - D("60.00")
    assert client_balance(practice=practice, client_id=clients["C"].pk) == \
        c_before - D("60.00") == D("100.00")
    assert _journal_ar_client(practice) == report.client_total - report.client_credit
    assert inv["c2"].pk not in {r.invoice_id for r in report.rows}
