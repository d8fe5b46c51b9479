"""Signed webhooks to registered endpoints, verified by the SDK; retries with backoff until
2xx; webhook faults (drop, duplicate, delay, out of order); API faults (500, timeout); the
clock and reset controls."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import stripe

from sandbox.stripe.tests.conftest import Receiver, delivery_of, events_of


def endpoint(sc, receiver, events=("*",), connect=True):
    return sc.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": list(events),
                                           "connect": connect})


def test_events_are_signed_and_verified_by_the_sdk(sc, connected, receiver):
    we = endpoint(sc, receiver, ["customer.created"])
    assert we.secret.startswith("whsec_") and we.status == "enabled"
    cus = sc.v1.customers.create({"email": "w@example.com"}, {"stripe_account": connected})
    ((headers, body),) = receiver.wait_for(lambda r: r)
    assert headers["Content-Type"].startswith("application/json")
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], we.secret)
    assert event.type == "customer.created" and event.account == connected
    assert event.data.object.id == cus.id and event.api_version == stripe.api_version
    assert event.pending_webhooks == 1
    # the same event is readable through the API, on the connected account only
    assert sc.v1.events.retrieve(event.id, None, {"stripe_account": connected}).id == event.id
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.events.retrieve(event.id)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b"w@example.com", b"x@example.com"),
                                       headers["Stripe-Signature"], we.secret)


def test_connect_endpoints_get_connected_events_and_others_the_platforms(sc, connected,
                                                                         receiver):
    platform = Receiver()
    try:
        endpoint(sc, receiver, ["customer.created"], connect=True)
        endpoint(sc, platform, ["customer.created"], connect=False)
        sc.v1.customers.create({"email": "connected@example.com"},
                               {"stripe_account": connected})
        sc.v1.customers.create({"email": "platform@example.com"})
        got = receiver.wait_for(lambda r: r)
        mine = platform.wait_for(lambda r: r)
        assert [json.loads(b)["data"]["object"]["email"] for _, b in got] == [
            "connected@example.com"]
        assert [json.loads(b)["data"]["object"]["email"] for _, b in mine] == [
            "platform@example.com"]
        assert "account" not in json.loads(mine[0][1])
    finally:
        platform.close()


def test_failed_deliveries_are_retried_with_backoff_until_2xx(standin, sc, connected,
                                                              receiver):
    we = endpoint(sc, receiver, ["customer.created"])
    receiver.statuses = [500, 503]
    sc.v1.customers.create({}, {"stripe_account": connected})
    got = receiver.wait_for(lambda r: len(r) >= 3)
    assert len({json.loads(b)["id"] for _, b in got}) == 1  # the same event each time
    for headers, body in got:
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], we.secret)
    delivery = delivery_of(standin, we.id, "delivered")
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    assert [a["status"] for a in delivery["log"]] == [500, 503, 200]
    # exponential back-off: each wait doubles, and no attempt comes before its wait is over
    waits = [a["retry_in"] for a in delivery["log"]]
    assert waits[0] > 0 and waits[1] == waits[0] * 2 and waits[2] is None
    gaps = [b["at"] - a["at"] for a, b in zip(delivery["log"], delivery["log"][1:],
                                              strict=False)]
    assert all(gap >= wait for gap, wait in zip(gaps, waits, strict=False))


def test_retries_are_bounded(standin, sc, connected, receiver):
    we = endpoint(sc, receiver, ["customer.created"])
    receiver.statuses = [500] * 10
    sc.v1.customers.create({}, {"stripe_account": connected})
    receiver.wait_for(lambda r: len(r) >= 4)  # --max-attempts 4 in conftest
    d = delivery_of(standin, we.id, "failed")
    assert d["state"] == "failed" and d["attempts"] == 4
    assert len(receiver.received) == 4


def test_drop_and_duplicate_faults(standin, sc, connected, receiver):
    endpoint(sc, receiver, ["customer.created"])
    opts = {"stripe_account": connected}
    standin.control("webhooks/faults", {"mode": "drop", "count": 1})
    dropped = sc.v1.customers.create({"email": "dropped@example.com"}, opts)
    standin.control("webhooks/faults", {"mode": "duplicate", "count": 1})
    twice = sc.v1.customers.create({"email": "twice@example.com"}, opts)
    got = receiver.wait_for(lambda r: len(r) >= 2)
    ids = [json.loads(b)["data"]["object"]["id"] for _, b in got]
    assert ids == [twice.id, twice.id]
    assert len({json.loads(b)["id"] for _, b in got}) == 1  # one event, delivered twice
    states = {d["event_type"] + d["state"] for d in standin.deliveries()}
    assert "customer.createddropped" in states
    # the dropped event is still in the API, so a product can reconcile from it
    assert any(e.data.object.id == dropped.id
               for e in sc.v1.events.list({"type": "customer.created"}, opts).data)


def test_out_of_order_fault_delivers_the_next_events_newest_first(standin, sc, connected,
                                                                  receiver):
    endpoint(sc, receiver, ["customer.created"])
    opts = {"stripe_account": connected}
    standin.control("webhooks/faults", {"mode": "out_of_order", "count": 3})
    made = [sc.v1.customers.create({"email": f"{i}@example.com"}, opts).id for i in range(3)]
    got = receiver.wait_for(lambda r: len(r) >= 3)
    assert [json.loads(b)["data"]["object"]["id"] for _, b in got] == made[::-1]


def test_delay_fault_holds_events_until_the_clock_passes(standin, sc, connected, receiver):
    endpoint(sc, receiver, ["customer.created", "customer.updated"])
    opts = {"stripe_account": connected}
    standin.control("webhooks/faults", {"mode": "delay", "count": 1, "seconds": 600})
    late = sc.v1.customers.create({"email": "late@example.com"}, opts)
    sc.v1.customers.update(late.id, {"name": "Late"}, opts)
    got = receiver.wait_for(lambda r: len(r) >= 1)
    assert [json.loads(b)["type"] for _, b in got] == ["customer.updated"]
    standin.advance(seconds=601)
    got = receiver.wait_for(lambda r: len(r) >= 2)
    assert [json.loads(b)["type"] for _, b in got] == ["customer.updated", "customer.created"]


def test_flush_releases_held_events(standin, sc, connected, receiver):
    endpoint(sc, receiver, ["customer.created"])
    standin.control("webhooks/faults", {"mode": "delay", "count": 1, "seconds": 86400})
    sc.v1.customers.create({}, {"stripe_account": connected})
    assert standin.control("webhooks/flush")["released"] == 1
    receiver.wait_for(lambda r: len(r) == 1)


def test_payment_events_of_an_invoice_payment(sc, connected, receiver):
    we = endpoint(sc, receiver, ["invoice.paid", "payment_intent.succeeded", "charge.refunded"])
    opts = {"stripe_account": connected}
    cus = sc.v1.customers.create({}, opts)
    pm = sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id}, opts)
    inv = sc.v1.invoices.create({"customer": cus.id}, opts)
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 9800}, opts)
    sc.v1.invoices.finalize_invoice(inv.id, None, opts)
    sc.v1.invoices.pay(inv.id, {"payment_method": pm.id}, opts)
    pi = sc.v1.payment_intents.list({"customer": cus.id}, opts).data[0]
    sc.v1.refunds.create({"payment_intent": pi.id, "amount": 800}, opts)
    got = receiver.wait_for(lambda r: len(r) >= 3)
    events = [stripe.Webhook.construct_event(b, h["Stripe-Signature"], we.secret)
              for h, b in got]
    assert sorted(e.type for e in events) == ["charge.refunded", "invoice.paid",
                                              "payment_intent.succeeded"]
    (refunded,) = events_of(got, "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 800
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0}


def test_api_500_fault_is_retried_by_the_sdk_with_the_same_idempotency_key(standin,
                                                                           connected):
    standin.control("faults", {"kind": "500", "path": "/v1/customers", "count": 1})
    sc = standin.client(max_network_retries=2)
    cus = sc.v1.customers.create({"email": "retry@example.com"}, {"stripe_account": connected})
    assert cus.email == "retry@example.com"
    standin.control("faults", {"kind": "500", "path": "/v1/customers", "count": 1})
    with pytest.raises(stripe.APIError) as exc:
        standin.client().v1.customers.list(None, {"stripe_account": connected})
    assert exc.value.http_status == 500
    assert standin.control("faults", method="GET")["data"] == []


def test_timeout_fault_the_retry_replays_and_nothing_is_made_twice(standin, connected):
    standin.control("faults", {"kind": "timeout", "path": "/v1/payment_intents",
                               "method": "POST", "count": 1, "seconds": 1.5})
    sc = standin.client(max_network_retries=2,
                        http_client=stripe.RequestsClient(timeout=0.5))
    pi = sc.v1.payment_intents.create({"amount": 5000, "currency": "usd", "confirm": True,
                                       "payment_method": "pm_card_visa"},
                                      {"stripe_account": connected})
    assert pi.status == "succeeded"
    assert pi.last_response.headers.get("Idempotent-Replayed") == "true"
    listed = standin.client().v1.payment_intents.list(None, {"stripe_account": connected})
    assert [p.id for p in listed.data] == [pi.id]


def test_drop_fault_does_the_work_but_never_answers(standin, sc, connected):
    standin.control("faults", {"kind": "drop", "path": "/v1/customers", "count": 1})
    with pytest.raises(stripe.APIConnectionError):
        sc.v1.customers.create({"email": "lost@example.com"}, {"stripe_account": connected})
    (cus,) = sc.v1.customers.list(None, {"stripe_account": connected}).data
    assert cus.email == "lost@example.com"


def test_clock_and_reset_controls(standin, sc):
    before = standin.now()
    after = standin.advance(days=1)
    assert after - before >= 86400
    stamp = httpx.post(standin.base_url + "/_stripe/clock", json={"timestamp": 2000000000})
    assert abs(stamp.json()["now"] - 2000000000) <= 1
    assert abs(sc.v1.customers.create({}).created - 2000000000) <= 2
    standin.reset()
    assert abs(standin.now() - int(time.time())) <= 2
    assert sc.v1.customers.list().data == []
    assert standin.control("health", method="GET")["api_version"] == stripe.api_version


def test_webhook_endpoint_list_update_disable(sc, connected, receiver):
    we = endpoint(sc, receiver, ["customer.created"])
    assert [w.id for w in sc.v1.webhook_endpoints.list().data] == [we.id]
    sc.v1.webhook_endpoints.update(we.id, {"disabled": True})
    sc.v1.customers.create({}, {"stripe_account": connected})
    sc.v1.webhook_endpoints.update(we.id, {"disabled": False,
                                           "enabled_events": ["customer.updated"]})
    cus = sc.v1.customers.create({}, {"stripe_account": connected})
    sc.v1.customers.update(cus.id, {"name": "N"}, {"stripe_account": connected})
    got = receiver.wait_for(lambda r: r)
    assert [json.loads(b)["type"] for _, b in got] == ["customer.updated"]
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.webhook_endpoints.create({"url": "ftp://nope", "enabled_events": ["*"]})
