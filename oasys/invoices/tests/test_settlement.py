"""settlement.py: an invoice opens once (its charge posted in the same transaction) and a
payment is applied once per key, with Stripe's fee, moving the invoice to Paid when covered."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from oasys.billing.tests import factories as f
from oasys.core.errors import Conflict, InvalidInput
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import InvoicePayment, InvoiceStatus, PaymentMethod
from oasys.invoices.services import invoice_create_for_session
from oasys.invoices.settlement import (
    PaymentIn,
    invoice_open,
    payment_apply,
    stripe_payment_key,
)
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.models import Account, JournalEntry, JournalLine
from oasys.ledger.selectors import account_balances, client_balance, invoice_figures_one
from oasys.ledger.services import ledger_post_client_write_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


@pytest.fixture
def draft(practice, ctx):
    appt = f.self_pay_session(practice)
    return invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                      amount=D("100.00"), cpt="90834", ctx=ctx)


def _card(charge="ch_1", amount="100.00", fee="3.20"):
    return PaymentIn(key=stripe_payment_key(charge), method=PaymentMethod.CARD,
                     amount=D(amount), fee=D(fee), stripe_charge_id=charge,
                     card_brand="visa", card_last4="4242")


def _figures(invoice):
    fig = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    return fig.total, fig.paid, fig.balance


def test_opening_posts_the_charge_once(practice, ctx, draft):
    assert not JournalEntry.objects.filter(invoice=draft).exists()
    INVOICE_MACHINE.transition(obj=draft, to=InvoiceStatus.SENDING, ctx=ctx, reason="send")
    opened = invoice_open(invoice=draft, ctx=ctx, source="tests",
                          updates={"hosted_invoice_url": "https://pay.example/i/1"})
    again = invoice_open(invoice=draft, ctx=ctx, source="tests")
    assert (opened.status, again.status) == (InvoiceStatus.OPEN, InvoiceStatus.OPEN)
    assert opened.sent_at is not None and opened.hosted_invoice_url == "https://pay.example/i/1"
    assert list(JournalEntry.objects.filter(invoice=draft).values_list("entry_type", flat=True)
                ) == ["charge"]
    assert _figures(opened) == (D("100.00"), D("0.00"), D("100.00"))
    assert [e.to_status for e in draft.events.all()] == ["draft", "sending", "open"]


def test_a_draft_is_not_opened_without_being_sent(ctx, draft):
    assert invoice_open(invoice=draft, ctx=ctx).status == InvoiceStatus.DRAFT
    assert not JournalEntry.objects.filter(invoice=draft).exists()


def test_a_card_payment_pays_once_with_its_fee(practice, ctx, draft):
    invoice = invoice_opened(draft)
    first, created = payment_apply(invoice=invoice, payment=_card(), ctx=ctx, source="tests")
    replay, again = payment_apply(invoice=invoice, payment=_card(), ctx=ctx, source="webhook")
    assert (created, again, replay.pk) == (True, False, first.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None
    assert _figures(invoice) == (D("100.00"), D("100.00"), D("0.00"))
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1
    types = sorted(JournalEntry.objects.filter(invoice=invoice).values_list("entry_type",
                                                                            flat=True))
    assert types == ["charge", "client_payment", "processing_fee"]
    balances = account_balances(practice=practice)
    # cash is what Stripe pays out: the payment less its fee
    assert (balances[Account.CASH], balances[Account.PROCESSING_FEES]) == (D("96.80"),
                                                                           D("3.20"))
    assert client_balance(practice=practice, client_id=invoice.client_id) == D("0.00")


def test_a_part_payment_leaves_the_invoice_open(ctx, draft):
    invoice = invoice_opened(draft)
    payment_apply(invoice=invoice, payment=PaymentIn(
        key=f"manual:{invoice.pk}:t1", method=PaymentMethod.CHECK, amount=D("40"),
        reference="1001"), ctx=ctx)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert _figures(invoice) == (D("100.00"), D("40.00"), D("60.00"))


def test_a_payment_while_sending_opens_the_invoice_first(ctx, draft):
    INVOICE_MACHINE.transition(obj=draft, to=InvoiceStatus.SENDING, ctx=ctx, reason="send")
    payment_apply(invoice=draft, payment=_card(), ctx=ctx)
    draft.refresh_from_db()
    assert [e.to_status for e in draft.events.all()] == ["draft", "sending", "open", "paid"]
    assert _figures(draft) == (D("100.00"), D("100.00"), D("0.00"))


def test_no_payment_on_a_draft_or_a_void_invoice_nor_of_nothing(ctx, draft):
    with pytest.raises(Conflict):
        payment_apply(invoice=draft, payment=_card(), ctx=ctx)
    INVOICE_MACHINE.transition(obj=draft, to=InvoiceStatus.VOID, ctx=ctx, reason="void")
    with pytest.raises(Conflict):
        payment_apply(invoice=draft, payment=_card(), ctx=ctx)
    with pytest.raises(InvalidInput):
        payment_apply(invoice=draft, payment=_card(amount="0"), ctx=ctx)
    assert not InvoicePayment.objects.exists() and not JournalLine.objects.exists()


def test_an_uncollectible_invoice_paid_later(practice, ctx, draft):
    invoice = invoice_opened(draft)
    ledger_post_client_write_off(invoice=invoice, amount=D("100.00"), reason="uncollectible",
                                 ctx=ctx)
    INVOICE_MACHINE.transition(obj=invoice, to=InvoiceStatus.UNCOLLECTIBLE, ctx=ctx)
    assert client_balance(practice=practice, client_id=invoice.client_id) == D("0.00")
    # a part payment: what is left stays written off, the invoice stays Uncollectible
    payment_apply(invoice=invoice, payment=PaymentIn(
        key=f"manual:{invoice.pk}:a", method=PaymentMethod.CASH, amount=D("30")), ctx=ctx)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert client_balance(practice=practice, client_id=invoice.client_id) == D("0.00")
    assert account_balances(practice=practice)[Account.WRITE_OFFS] == D("70.00")
    # the rest paid: Paid, nothing written off
    payment_apply(invoice=invoice, payment=PaymentIn(
        key=f"manual:{invoice.pk}:b", method=PaymentMethod.CASH, amount=D("70")), ctx=ctx)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert account_balances(practice=practice)[Account.WRITE_OFFS] == D("0.00")
    assert _figures(invoice) == (D("100.00"), D("100.00"), D("0.00"))
