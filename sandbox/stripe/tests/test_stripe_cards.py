"""Stripe's test PaymentMethods and card numbers behave as documented: off-session charges
succeed, decline with their decline codes, or fail with authentication_required; saving a
card through the hosted Checkout page accepts the good ones and shows the declines."""

from __future__ import annotations

import re

import httpx
import pytest
import stripe

DECLINES = [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
     "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card",
     "Your card has expired."),
    ("pm_card_authenticationRequired", "authentication_required", "authentication_required",
     "Your card was declined. This transaction requires authentication."),
    ("pm_card_chargeCustomerFail", "card_declined", "generic_decline",
     "Your card was declined."),
]


def charge(sc, account, pm, customer=None, **extra):
    params = {"amount": 9800, "currency": "usd", "payment_method": pm, "confirm": True,
              "off_session": True, **extra}
    if customer:
        params["customer"] = customer
    return sc.v1.payment_intents.create(params, {"stripe_account": account})


def test_pm_card_visa_succeeds_with_a_charge_and_its_fee(sc, connected):
    pi = charge(sc, connected, "pm_card_visa", expand=["latest_charge"])
    assert pi.status == "succeeded" and pi.amount_received == 9800
    ch = pi.latest_charge
    assert ch.status == "succeeded" and ch.paid and ch.captured
    assert ch.payment_method_details.card.last4 == "4242"
    assert ch.outcome.type == "authorized"
    txn = sc.v1.balance_transactions.retrieve(ch.balance_transaction, None,
                                              {"stripe_account": connected})
    assert (txn.amount, txn.fee, txn.net, txn.type) == (9800, 314, 9486, "charge")


@pytest.mark.parametrize("token,code,decline_code,message", DECLINES)
def test_declining_tokens_fail_off_session_with_their_codes(sc, connected, token, code,
                                                            decline_code, message):
    with pytest.raises(stripe.CardError) as exc:
        charge(sc, connected, token)
    err = exc.value
    assert err.http_status == 402 and err.code == code
    assert err.error.decline_code == decline_code and err.user_message == message
    pi = sc.v1.payment_intents.retrieve(err.error.payment_intent.id, None,
                                        {"stripe_account": connected})
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code
    assert pi.last_payment_error.decline_code == decline_code
    failed = sc.v1.charges.retrieve(pi.latest_charge, None, {"stripe_account": connected})
    assert failed.status == "failed" and failed.failure_code == code
    assert failed.outcome.reason == decline_code and failed.balance_transaction is None


def test_authentication_required_on_session_asks_for_action(sc, connected):
    pi = sc.v1.payment_intents.create({"amount": 5000, "currency": "usd", "confirm": True,
                                       "payment_method": "pm_card_authenticationRequired"},
                                      {"stripe_account": connected})
    assert pi.status == "requires_action" and pi.next_action.type == "use_stripe_sdk"
    assert pi.latest_charge is None


def test_declining_cards_cannot_be_attached_but_charge_fail_and_auth_cards_can(sc, connected):
    opts = {"stripe_account": connected}
    cus = sc.v1.customers.create({}, opts)
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": cus.id}, opts)
    assert exc.value.code == "card_declined"
    for token in ("pm_card_chargeCustomerFail", "pm_card_authenticationRequired"):
        pm = sc.v1.payment_methods.attach(token, {"customer": cus.id}, opts)
        assert pm.customer == cus.id
        with pytest.raises(stripe.CardError):
            charge(sc, connected, pm.id, customer=cus.id)


def checkout(standin, sc, account, number: str, expiry: str = "12 / 34"):
    """Create a setup-mode session, post the hosted card form, return (response, session)."""
    opts = {"stripe_account": account}
    cus = sc.v1.customers.create({"email": "client@example.com"}, opts)
    cs = sc.v1.checkout.sessions.create({
        "mode": "setup", "customer": cus.id, "currency": "usd",
        "success_url": "http://127.0.0.1:9/saved?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:9/cancel"}, opts)
    assert cs.url.startswith(standin.base_url) and cs.status == "open"
    form = httpx.get(cs.url)
    assert form.status_code == 200 and 'name="cardnumber"' in form.text.replace("=cardnumber",
                                                                                 '="cardnumber"')
    resp = httpx.post(cs.url, data={"cardnumber": number, "expiry": expiry, "cvc": "123",
                                    "name": "Pat Doe", "postal": "94110"})
    return resp, cs, cus


@pytest.mark.parametrize("number,last4", [("4242 4242 4242 4242", "4242"),
                                          ("4000002500003155", "3155"),
                                          ("4000002760003184", "3184"),
                                          ("4000000000000341", "0341")])
def test_checkout_setup_saves_good_cards_and_redirects(standin, sc, connected, number, last4):
    resp, cs, cus = checkout(standin, sc, connected, number)
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"http://127.0.0.1:9/saved?session={cs.id}"
    opts = {"stripe_account": connected}
    done = sc.v1.checkout.sessions.retrieve(cs.id, {"expand": ["setup_intent.payment_method"]},
                                            opts)
    assert done.status == "complete" and done.setup_intent.status == "succeeded"
    pm = done.setup_intent.payment_method
    assert pm.customer == cus.id and pm.card.last4 == last4
    assert (pm.card.exp_month, pm.card.exp_year) == (12, 2034)
    (listed,) = sc.v1.customers.payment_methods.list(cus.id, None, opts).data
    assert listed.id == pm.id
    types = [e.type for e in sc.v1.events.list(None, opts).data][::-1]
    assert types[-4:] == ["setup_intent.created", "payment_method.attached",
                          "setup_intent.succeeded", "checkout.session.completed"]


def test_saved_3155_card_charges_off_session_but_3184_needs_authentication(standin, sc,
                                                                           connected):
    for number, ok in (("4000002500003155", True), ("4000002760003184", False)):
        _, cs, cus = checkout(standin, sc, connected, number)
        pm = sc.v1.payment_methods.list({"customer": cus.id, "type": "card"},
                                        {"stripe_account": connected}).data[0]
        if ok:
            assert charge(sc, connected, pm.id, customer=cus.id).status == "succeeded"
        else:
            with pytest.raises(stripe.CardError) as exc:
                charge(sc, connected, pm.id, customer=cus.id)
            assert exc.value.code == "authentication_required"


@pytest.mark.parametrize("number,message", [
    ("4000000000000002", "Your card was declined."),
    ("4000000000009995", "Your card has insufficient funds."),
    ("4000000000000069", "Your card has expired."),
    ("1234123412341234", "Your card number is invalid"),
])
def test_checkout_shows_declines_and_saves_nothing(standin, sc, connected, number, message):
    resp, cs, cus = checkout(standin, sc, connected, number)
    assert resp.status_code == 200 and message in resp.text
    assert re.search(r"class=error role=alert", resp.text)
    opts = {"stripe_account": connected}
    assert sc.v1.checkout.sessions.retrieve(cs.id, None, opts).status == "open"
    assert sc.v1.customers.payment_methods.list(cus.id, None, opts).data == []


def test_checkout_rejects_a_past_expiry(standin, sc, connected):
    resp, cs, _ = checkout(standin, sc, connected, "4242424242424242", expiry="01 / 20")
    assert resp.status_code == 200 and "expiration date is in the past" in resp.text


def test_payment_methods_list_retrieve_detach(sc, connected):
    opts = {"stripe_account": connected}
    cus = sc.v1.customers.create({}, opts)
    pm = sc.v1.payment_methods.attach("pm_card_mastercard", {"customer": cus.id}, opts)
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}},
                           opts)
    assert sc.v1.payment_methods.retrieve(pm.id, None, opts).card.brand == "mastercard"
    detached = sc.v1.payment_methods.detach(pm.id, None, opts)
    assert detached.customer is None
    assert sc.v1.payment_methods.list({"customer": cus.id}, opts).data == []
    assert sc.v1.customers.retrieve(cus.id, None, opts).invoice_settings \
        .default_payment_method is None
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.payment_methods.detach(pm.id, None, opts)


def test_a_succeeded_payment_intent_takes_metadata_but_not_a_new_amount(sc, connected):
    opts = {"stripe_account": connected}
    pi = charge(sc, connected, "pm_card_visa")
    assert pi.status == "succeeded"
    updated = sc.v1.payment_intents.update(pi.id, {"metadata": {"oasys_invoice_id": "42"},
                                                   "description": "Invoice 42"}, opts)
    assert updated.metadata.to_dict() == {"oasys_invoice_id": "42"}
    assert updated.description == "Invoice 42"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.update(pi.id, {"amount": 100}, opts)
    assert exc.value.code == "payment_intent_unexpected_state"
