"""Refunds (full, partial, never more than charged), the balance, automatic payouts of the
available balance as the clock moves, and balance transactions per payout."""

from __future__ import annotations

import pytest
import stripe

DAY = 86400


def paid(sc, account, amount):
    return sc.v1.payment_intents.create({"amount": amount, "currency": "usd",
                                         "payment_method": "pm_card_visa", "confirm": True,
                                         "off_session": True}, {"stripe_account": account})


def test_partial_then_full_refund_and_no_more_than_charged(sc, connected):
    opts = {"stripe_account": connected}
    pi = paid(sc, connected, 10000)
    part = sc.v1.refunds.create({"payment_intent": pi.id, "amount": 2500,
                                 "reason": "requested_by_customer"}, opts)
    assert part.status == "succeeded" and part.amount == 2500 and part.charge == pi.latest_charge
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.refunds.create({"charge": pi.latest_charge, "amount": 7501}, opts)
    assert exc.value.param == "amount"
    assert "greater than unrefunded amount on charge ($75.00)" in exc.value.user_message
    rest = sc.v1.refunds.create({"charge": pi.latest_charge}, opts)  # the remainder
    assert rest.amount == 7500
    ch = sc.v1.charges.retrieve(pi.latest_charge, None, opts)
    assert ch.amount_refunded == 10000 and ch.refunded is True
    assert {r.id for r in ch.refunds.data} == {part.id, rest.id}
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.refunds.create({"payment_intent": pi.id}, opts)
    assert exc.value.code == "charge_already_refunded"
    listed = sc.v1.refunds.list({"payment_intent": pi.id}, opts).data
    assert [r.id for r in listed] == [rest.id, part.id]
    txn = sc.v1.balance_transactions.retrieve(part.balance_transaction, None, opts)
    assert (txn.type, txn.amount, txn.net) == ("refund", -2500, -2500)


def test_failed_charges_cannot_be_refunded(sc, connected):
    opts = {"stripe_account": connected}
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_intents.create({"amount": 5000, "currency": "usd", "confirm": True,
                                      "payment_method": "pm_card_chargeDeclined"}, opts)
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.refunds.create({"charge": exc.value.error.charge}, opts)


def test_payouts_of_the_available_balance_when_the_clock_moves(standin, sc, connected):
    opts = {"stripe_account": connected}
    a = paid(sc, connected, 10000)
    b = paid(sc, connected, 5000)
    sc.v1.refunds.create({"payment_intent": b.id, "amount": 1000}, opts)
    balance = sc.v1.balance.retrieve(None, opts)
    assert balance.pending[0].amount == (10000 - 320) + (5000 - 175)
    assert sc.v1.payouts.list(None, opts).data == []
    standin.advance(days=1)
    assert sc.v1.payouts.list(None, opts).data == []  # funds are not available yet
    standin.advance(days=1.5)
    (po,) = sc.v1.payouts.list(None, opts).data
    assert po.status == "in_transit" and po.automatic is True
    assert po.amount == (10000 - 320) + (5000 - 175) - 1000
    assert po.arrival_date == po.created + 2 * DAY
    assert po.destination.startswith("ba_")
    txns = sc.v1.balance_transactions.list({"payout": po.id, "expand": ["data.source"]},
                                           opts).data
    by_type = {}
    for t in txns:
        by_type.setdefault(t.type, []).append(t)
    assert {t.source.id for t in by_type["charge"]} == {a.latest_charge, b.latest_charge}
    assert {t.source.payment_intent for t in by_type["charge"]} == {a.id, b.id}
    assert [t.amount for t in by_type["refund"]] == [-1000]
    assert [t.source.id for t in by_type["payout"]] == [po.id]
    assert sc.v1.balance.retrieve(None, opts).available[0].amount == 0
    standin.advance(days=2)
    assert sc.v1.payouts.retrieve(po.id, None, opts).status == "paid"
    types = [e.type for e in sc.v1.events.list({"type": "payout.*"}, opts).data]
    assert types == ["payout.paid", "payout.created"]
    assert sc.v1.payouts.list({"status": "paid"}, opts).data[0].id == po.id


def test_no_charges_or_payouts_for_an_account_that_cannot_take_them(standin, sc, connected):
    fresh = sc.v1.accounts.create({"type": "express"}).id  # never onboarded
    with pytest.raises(stripe.InvalidRequestError) as exc:
        paid(sc, fresh, 5000)
    assert "cannot currently make charges" in exc.value.user_message
    paid(sc, connected, 5000)
    standin.control(f"accounts/{connected}", {"state": "restricted"})
    standin.advance(days=5)
    opts = {"stripe_account": connected}
    assert sc.v1.payouts.list(None, opts).data == []
    assert sc.v1.balance.retrieve(None, opts).available[0].amount == 4825


def test_a_payouts_destination_expands_to_the_bank_account(standin, sc, connected):
    opts = {"stripe_account": connected}
    paid(sc, connected, 10000)
    standin.advance(days=3)
    (po,) = sc.v1.payouts.list({"expand": ["data.destination"]}, opts).data
    assert po.destination.object == "bank_account" and po.destination.last4 == "6789"
    assert isinstance(sc.v1.payouts.retrieve(po.id, None, opts).destination, str)
