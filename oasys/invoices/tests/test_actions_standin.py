"""Refund and void against the Stripe stand-in as a real process, through the real adapter
(the official SDK): the refund is made once on the charge however often it is asked for,
and a void reaches Stripe's copy; the journal agrees with both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from oasys.invoices.actions import invoice_refund, invoice_void
from oasys.invoices.models import InvoiceStatus, RefundStatus
from oasys.ledger.selectors import client_balance, invoice_figures_one
from oasys.payments.connection import payments_port

from .actions_support import card_paid, ctx_of, customer_of, draft, open_on_stripe, stripe_account

pytestmark = pytest.mark.django_db

EXP_YEAR = dt.datetime.now(dt.UTC).year + 3


@pytest.fixture
def world(stripe_standin, practice):
    account = stripe_account(practice, lambda acct_id: stripe_standin.control(
        f"accounts/{acct_id}", {"state": "active"}))
    return stripe_standin, account


def _saved_card(account, customer_id: str) -> str:
    """The client saves a Visa on the stand-in's hosted card form."""
    port = payments_port()
    session = port.setup_session_create(
        account_id=account.stripe_account_id, customer_id=customer_id,
        success_url="http://127.0.0.1:9/ok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:9/no", metadata={}, idempotency_key="test-setup")
    resp = httpx.post(session.url, data={"cardnumber": "4242 4242 4242 4242",
                                         "expiry": f"12 / {EXP_YEAR % 100:02d}", "cvc": "123",
                                         "name": "Maria", "postal": "60614"})
    assert resp.status_code == 303
    return port.setup_session_get(account_id=account.stripe_account_id,
                                  session_id=session.id).payment_method_id


def test_refund_on_the_standin_is_made_once(world, practice, owner):
    standin, account = world
    ctx = ctx_of(owner)
    invoice = draft(practice, amount="120.00")
    customer = customer_of(invoice, account)
    invoice = open_on_stripe(invoice, account, customer)
    payment = card_paid(invoice, account, _saved_card(account, customer))
    assert invoice.status == InvoiceStatus.PAID

    one = invoice_refund(invoice=invoice, amount="45.50", reason="sliding scale", token="t",
                         ctx=ctx)
    two = invoice_refund(invoice=invoice, amount="45.50", reason="sliding scale", token="t",
                         ctx=ctx)
    assert one.pk == two.pk and one.status == RefundStatus.SUCCEEDED
    sdk = standin.client()
    on_account = {"stripe_account": account.stripe_account_id}
    refunds = sdk.v1.refunds.list({"charge": payment.stripe_charge_id}, options=on_account)
    assert [(r.id, r.amount) for r in refunds.data] == [(one.stripe_refund_id, 4550)]
    charge = payments_port().charge_get(account_id=account.stripe_account_id,
                                        charge_id=payment.stripe_charge_id)
    assert charge.amount_refunded == Decimal("45.50")
    figures = invoice_figures_one(practice=practice, invoice=invoice)
    # a refund comes off revenue: a refunded invoice is not owed again
    assert (figures.paid, figures.balance) == (Decimal("74.50"), Decimal("0.00"))
    assert client_balance(practice=practice, client_id=invoice.client_id) == Decimal("0.00")


def test_void_on_the_standin_voids_stripes_copy(world, practice, owner):
    _, account = world
    invoice = draft(practice)
    invoice = open_on_stripe(invoice, account, customer_of(invoice, account))
    voided = invoice_void(invoice=invoice, ctx=ctx_of(owner), reason="billed by mistake")
    assert voided.status == InvoiceStatus.VOID
    remote = payments_port().invoice_get(account_id=account.stripe_account_id,
                                         invoice_id=invoice.stripe_invoice_id)
    assert remote.status == "void"
    assert invoice_figures_one(practice=practice, invoice=voided).balance == Decimal("0.00")
    assert client_balance(practice=practice, client_id=invoice.client_id) == Decimal("0.00")
