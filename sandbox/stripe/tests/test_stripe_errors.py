"""Errors come in Stripe's envelope and status, so the SDK raises the classes it would
against Stripe; `Stripe-Account` isolates accounts; Idempotency-Key replays or refuses."""

from __future__ import annotations

import httpx
import pytest
import stripe

from sandbox.stripe.testing import API_KEY


def test_bad_or_missing_key_is_authentication_error(standin):
    bad = stripe.StripeClient("sk_live_nope", base_addresses={"api": standin.base_url},
                              max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as exc:
        bad.v1.customers.list()
    assert exc.value.http_status == 401 and "Invalid API Key" in exc.value.user_message
    resp = httpx.get(standin.base_url + "/v1/customers")
    assert resp.status_code == 401 and resp.json()["error"]["type"] == "invalid_request_error"


def test_missing_object_is_invalid_request_404_resource_missing(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.retrieve("cus_doesnotexist")
    err = exc.value
    assert err.http_status == 404 and err.code == "resource_missing" and err.param == "id"
    assert err.json_body["error"]["message"] == "No such customer: 'cus_doesnotexist'"


def test_unknown_and_missing_parameters_are_400(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.customers.create({"emali": "typo@example.com"})  # type: ignore[typeddict-unknown-key]
    assert exc.value.http_status == 400 and exc.value.code == "parameter_unknown"
    assert exc.value.param == "emali"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.create({"currency": "usd"})  # type: ignore[typeddict-item]
    assert exc.value.code == "parameter_missing" and exc.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.payment_intents.create({"amount": 10, "currency": "usd"})
    assert exc.value.code == "amount_too_small"


def test_card_error_envelope(sc, connected):
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.payment_intents.create({"amount": 2000, "currency": "usd",
                                      "payment_method": "pm_card_chargeDeclined",
                                      "confirm": True}, {"stripe_account": connected})
    body = exc.value.json_body["error"]
    assert exc.value.http_status == 402
    assert {"type", "code", "decline_code", "message", "charge", "payment_intent"} <= set(body)
    assert body["type"] == "card_error" and body["code"] == "card_declined"
    assert body["decline_code"] == "generic_decline"
    assert body["payment_intent"]["last_payment_error"]["decline_code"] == "generic_decline"


def test_objects_of_one_account_are_invisible_to_another_and_the_platform(sc, connected):
    other = sc.v1.accounts.create({"type": "express"}).id
    mine = {"stripe_account": connected}
    cus = sc.v1.customers.create({"email": "mine@example.com"}, mine)
    pi = sc.v1.payment_intents.create({"amount": 5000, "currency": "usd", "customer": cus.id,
                                       "payment_method": "pm_card_visa", "confirm": True},
                                      mine)
    for options in ({"stripe_account": other}, None):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            sc.v1.customers.retrieve(cus.id, None, options)
        assert exc.value.http_status == 404
        with pytest.raises(stripe.InvalidRequestError):
            sc.v1.payment_intents.retrieve(pi.id, None, options)
        with pytest.raises(stripe.InvalidRequestError):
            sc.v1.refunds.create({"payment_intent": pi.id}, options)
        assert sc.v1.customers.list(None, options).data == []
        assert sc.v1.charges.list(None, options).data == []
    assert [c.id for c in sc.v1.customers.list(None, mine).data] == [cus.id]
    # another account's object cannot be used by reference either
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.create({"customer": cus.id}, {"stripe_account": other})


def test_unknown_or_deleted_account_header_is_permission_error(sc):
    with pytest.raises(stripe.PermissionError) as exc:
        sc.v1.customers.list(None, {"stripe_account": "acct_nosuchaccount"})
    assert exc.value.http_status == 403
    acct = sc.v1.accounts.create({"type": "standard"}).id
    sc.v1.accounts.delete(acct)
    with pytest.raises(stripe.PermissionError):
        sc.v1.customers.list(None, {"stripe_account": acct})


def test_same_idempotency_key_and_params_replays_the_first_response(standin, sc, connected):
    opts = {"stripe_account": connected, "idempotency_key": "invoice-41-charge"}
    params = {"amount": 4200, "currency": "usd", "payment_method": "pm_card_visa",
              "confirm": True, "metadata": {"invoice": "41"}}
    first = sc.v1.payment_intents.create(params, opts)
    again = sc.v1.payment_intents.create(params, opts)
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sc.v1.payment_intents.list(None, {"stripe_account": connected}).data) == 1
    assert len(sc.v1.charges.list(None, {"stripe_account": connected}).data) == 1


def test_same_key_other_params_is_idempotency_error(sc, connected):
    opts = {"stripe_account": connected, "idempotency_key": "customer-7"}
    sc.v1.customers.create({"email": "a@example.com"}, opts)
    with pytest.raises(stripe.IdempotencyError) as exc:
        sc.v1.customers.create({"email": "b@example.com"}, opts)
    assert exc.value.http_status == 400
    assert exc.value.json_body["error"]["type"] == "idempotency_error"
    with pytest.raises(stripe.IdempotencyError):  # another endpoint with the same key
        sc.v1.invoices.create({"customer": "cus_x"}, opts)


def test_idempotency_keys_are_per_account_and_card_errors_replay(sc, connected):
    other = sc.v1.accounts.create({"type": "express"}).id
    key = "same-key-both-accounts"
    a = sc.v1.customers.create({"email": "x@example.com"},
                               {"stripe_account": connected, "idempotency_key": key})
    b = sc.v1.customers.create({"email": "x@example.com"},
                               {"stripe_account": other, "idempotency_key": key})
    assert a.id != b.id
    declined = {"amount": 2000, "currency": "usd", "confirm": True,
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds"}
    opts = {"stripe_account": connected, "idempotency_key": "declined-once"}
    with pytest.raises(stripe.CardError) as first:
        sc.v1.payment_intents.create(declined, opts)
    with pytest.raises(stripe.CardError) as second:
        sc.v1.payment_intents.create(declined, opts)
    assert second.value.headers["Idempotent-Replayed"] == "true"
    assert first.value.json_body == second.value.json_body


def test_raw_form_bodies_with_bracket_notation(standin, connected):
    resp = httpx.post(standin.base_url + "/v1/customers",
                      headers={"Authorization": f"Bearer {API_KEY}",
                               "Stripe-Account": connected},
                      content="email=r%40example.com&metadata[client_id]=7&"
                              "preferred_locales[0]=en&preferred_locales[1]=es&"
                              "address[line1]=1+Main+St",
                      )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["metadata"] == {"client_id": "7"}
    assert body["preferred_locales"] == ["en", "es"]
    assert body["address"]["line1"] == "1 Main St"
