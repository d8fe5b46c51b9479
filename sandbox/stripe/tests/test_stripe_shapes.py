"""Object shapes match Stripe's own example objects (fixtures3.json) key for key; ids carry
Stripe's prefixes; lists are Stripe's envelope with pagination; expansion works."""

from __future__ import annotations

import re

import httpx
import stripe

from sandbox.stripe.shapes import keys_of

API_VERSION = stripe._api_version._ApiVersion.CURRENT


def keys(obj) -> set[str]:
    return set(obj.to_dict().keys())


def test_every_resource_has_stripes_keys_and_id_prefix(standin, sc, connected):
    opts = {"stripe_account": connected}
    acct = sc.v1.accounts.retrieve(connected)
    cus = sc.v1.customers.create({"email": "pat@example.com", "name": "Pat Doe"}, opts)
    pm = sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id}, opts)
    si = sc.v1.setup_intents.create({"customer": cus.id, "payment_method": pm.id,
                                     "confirm": True}, opts)
    pi = sc.v1.payment_intents.create({"amount": 12000, "currency": "usd",
                                       "customer": cus.id, "payment_method": pm.id,
                                       "confirm": True, "off_session": True}, opts)
    ch = sc.v1.charges.retrieve(pi.latest_charge, None, opts)
    txn = sc.v1.balance_transactions.retrieve(ch.balance_transaction, None, opts)
    refund = sc.v1.refunds.create({"charge": ch.id, "amount": 2000}, opts)
    inv = sc.v1.invoices.create({"customer": cus.id}, opts)
    ii = sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 9800,
                                     "description": "90834 psychotherapy, 45 min"}, opts)
    inv = sc.v1.invoices.retrieve(inv.id, None, opts)
    cs = sc.v1.checkout.sessions.create({"mode": "setup", "customer": cus.id,
                                         "currency": "usd",
                                         "success_url": "http://127.0.0.1:9/ok",
                                         "cancel_url": "http://127.0.0.1:9/no"}, opts)
    link = sc.v1.account_links.create({"account": connected, "type": "account_onboarding",
                                       "refresh_url": "http://127.0.0.1:9/refresh",
                                       "return_url": "http://127.0.0.1:9/return"})
    we = sc.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/hook",
                                         "enabled_events": ["*"], "connect": True})
    standin.advance(days=5)  # the charge becomes available and is paid out
    (po,) = sc.v1.payouts.list(None, opts).data
    (evt, *_) = sc.v1.events.list({"limit": 1}, opts).data

    expected = {"account": acct, "customer": cus, "payment_method": pm, "setup_intent": si,
                "payment_intent": pi, "charge": ch, "balance_transaction": txn,
                "refund": refund, "invoice": inv, "invoiceitem": ii, "checkout.session": cs,
                "account_link": link, "payout": po}
    for kind, obj in expected.items():
        assert keys(obj) == keys_of(kind), kind
        assert obj.object == kind
    assert keys(inv.lines.data[0]) == keys_of("line_item")
    assert keys(we) == keys_of("webhook_endpoint") | {"secret"}
    assert keys(evt) == keys_of("event") | {"account"}
    prefixes = {"acct_": acct, "cus_": cus, "pm_": pm, "seti_": si, "pi_": pi, "ch_": ch,
                "txn_": txn, "re_": refund, "in_": inv, "ii_": ii, "cs_test_": cs, "po_": po,
                "evt_": evt, "we_": we}
    for prefix, obj in prefixes.items():
        assert obj.id.startswith(prefix) and len(obj.id) > len(prefix) + 8, prefix
    raw = httpx.get(f"{standin.base_url}/v1/invoices/{inv.id}", headers={
        "Authorization": "Bearer sk_test_x", "Stripe-Account": connected}).text
    assert '"_' not in raw  # the stand-in's bookkeeping never leaves it


def test_deleted_objects_have_stripes_deleted_shape(sc, connected):
    opts = {"stripe_account": connected}
    cus = sc.v1.customers.create({}, opts)
    gone = sc.v1.customers.delete(cus.id, None, opts)
    assert gone.deleted is True and keys(gone) == keys_of("deleted_customer")
    assert sc.v1.customers.retrieve(cus.id, None, opts).deleted is True
    we = sc.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/x",
                                         "enabled_events": ["invoice.paid"]})
    assert keys(sc.v1.webhook_endpoints.delete(we.id)) == keys_of("deleted_webhook_endpoint")
    inv = sc.v1.invoices.create({"customer": sc.v1.customers.create({}, opts).id}, opts)
    assert keys(sc.v1.invoices.delete(inv.id, None, opts)) == keys_of("deleted_invoice")
    acct = sc.v1.accounts.create({"type": "standard"})
    assert keys(sc.v1.accounts.delete(acct.id)) == keys_of("deleted_account")


def test_list_envelope_limit_starting_after_and_auto_paging(sc, connected):
    opts = {"stripe_account": connected}
    made = [sc.v1.customers.create({"email": f"c{i}@example.com"}, opts).id for i in range(5)]
    page = sc.v1.customers.list({"limit": 2}, opts)
    assert page.object == "list" and page.url == "/v1/customers" and page.has_more is True
    assert [c.id for c in page.data] == made[::-1][:2]  # newest first, like Stripe
    nxt = sc.v1.customers.list({"limit": 2, "starting_after": page.data[-1].id}, opts)
    assert [c.id for c in nxt.data] == made[::-1][2:4]
    back = sc.v1.customers.list({"limit": 2, "ending_before": nxt.data[0].id}, opts)
    assert [c.id for c in back.data] == made[::-1][:2]
    assert [c.id for c in page.auto_paging_iter()] == made[::-1]
    last = sc.v1.customers.list({"limit": 10, "starting_after": made[1]}, opts)
    assert [c.id for c in last.data] == [made[0]] and last.has_more is False


def test_expansion_of_the_fields_we_use(standin, sc, connected):
    opts = {"stripe_account": connected}
    cus = sc.v1.customers.create({}, opts)
    pi = sc.v1.payment_intents.create(
        {"amount": 5000, "currency": "usd", "customer": cus.id, "payment_method": "pm_card_visa",
         "confirm": True, "off_session": True,
         "expand": ["latest_charge.balance_transaction", "customer"]}, opts)
    assert pi.latest_charge.object == "charge" and pi.customer.id == cus.id
    assert pi.latest_charge.balance_transaction.fee == 175  # 2.9% + 30¢ of $50
    assert pi.latest_charge.balance_transaction.net == 4825
    ch = sc.v1.charges.retrieve(pi.latest_charge.id, {"expand": ["payment_intent"]}, opts)
    assert ch.payment_intent.id == pi.id
    txns = sc.v1.balance_transactions.list({"expand": ["data.source"]}, opts)
    assert txns.data[0].source.object == "charge"
    assert isinstance(sc.v1.payment_intents.retrieve(pi.id, None, opts).latest_charge, str)


def test_stripe_version_and_request_id_headers(standin):
    resp = httpx.get(standin.base_url + "/v1/customers",
                     headers={"Authorization": "Bearer sk_test_x"})
    assert resp.status_code == 200
    assert resp.headers["Stripe-Version"] == API_VERSION
    assert re.fullmatch(r"req_\w+", resp.headers["Request-Id"])


def test_global_api_base_configuration_works_too(standin, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", "sk_test_global")
    monkeypatch.setattr(stripe, "api_base", standin.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    cus = stripe.Customer.create(email="g@example.com", metadata={"client_id": "42"})
    assert stripe.Customer.retrieve(cus.id).metadata["client_id"] == "42"
    updated = stripe.Customer.modify(cus.id, metadata={"client_id": ""}, name="Gale")
    assert updated.name == "Gale" and "client_id" not in updated.metadata
