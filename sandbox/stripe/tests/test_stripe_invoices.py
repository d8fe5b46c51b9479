"""Invoices and invoice items: draft → items → finalize (open, hosted page, PDF) → pay off
session, void, mark uncollectible; auto_advance false means nothing happens on its own;
due dates pass on the stand-in's clock; the hosted invoice page takes a test card."""

from __future__ import annotations

import httpx
import pytest
import stripe

DAY = 86400


@pytest.fixture
def client_on_file(sc, connected):
    opts = {"stripe_account": connected}
    cus = sc.v1.customers.create({"email": "client@example.com", "name": "Pat Doe"}, opts)
    pm = sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id}, opts)
    return opts, cus, pm


def draft(sc, opts, cus, *amounts, **params):
    inv = sc.v1.invoices.create({"customer": cus.id, **params}, opts)
    for i, amount in enumerate(amounts):
        sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": amount,
                                    "currency": "usd", "description": f"Session {i + 1}"},
                                   opts)
    return sc.v1.invoices.retrieve(inv.id, None, opts)


def test_draft_with_items_finalize_and_pay_off_session(sc, client_on_file):
    opts, cus, pm = client_on_file
    inv = draft(sc, opts, cus, 13800, 2000)
    assert inv.status == "draft" and inv.auto_advance is False
    assert (inv.amount_due, inv.amount_paid, inv.amount_remaining) == (15800, 0, 15800)
    assert [li.amount for li in inv.lines.data] == [13800, 2000]
    assert inv.lines.data[0].parent.invoice_item_details.invoice_item.startswith("ii_")
    assert inv.hosted_invoice_url is None and inv.number is None
    inv = sc.v1.invoices.finalize_invoice(inv.id, None, opts)
    assert inv.status == "open" and inv.number.startswith(cus.invoice_prefix)
    assert inv.hosted_invoice_url and inv.invoice_pdf
    assert inv.status_transitions.finalized_at is not None
    paid = sc.v1.invoices.pay(inv.id, {"payment_method": pm.id, "off_session": True},
                              {**opts, "idempotency_key": f"pay-{inv.id}"})
    assert paid.status == "paid" and paid.amount_paid == 15800 and paid.amount_remaining == 0
    assert paid.status_transitions.paid_at is not None
    with_payments = sc.v1.invoices.retrieve(inv.id, {"expand": ["payments"]}, opts)
    (payment,) = with_payments.payments.data
    pi = sc.v1.payment_intents.retrieve(payment.payment.payment_intent,
                                        {"expand": ["latest_charge"]}, opts)
    assert pi.status == "succeeded" and pi.amount == 15800 and pi.customer == cus.id
    assert pi.latest_charge.amount == 15800
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.pay(inv.id, {"payment_method": pm.id}, opts)
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 100},
                                   opts)


def test_pay_with_the_customers_default_payment_method(sc, client_on_file):
    opts, cus, pm = client_on_file
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}},
                           opts)
    inv = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 9800).id, None, opts)
    assert sc.v1.invoices.pay(inv.id, None, opts).status == "paid"


def test_a_declined_payment_leaves_the_invoice_open(sc, client_on_file):
    opts, cus, _ = client_on_file
    bad = sc.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": cus.id},
                                       opts)
    inv = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 9800).id, None, opts)
    with pytest.raises(stripe.CardError) as exc:
        sc.v1.invoices.pay(inv.id, {"payment_method": bad.id}, opts)
    assert exc.value.code == "card_declined"
    after = sc.v1.invoices.retrieve(inv.id, None, opts)
    assert after.status == "open" and after.amount_remaining == 9800
    assert after.attempted is True and after.attempt_count == 1
    events = [e.type for e in sc.v1.events.list({"type": "invoice.*"}, opts).data]
    assert "invoice.payment_failed" in events


def test_void_and_mark_uncollectible(sc, client_on_file):
    opts, cus, pm = client_on_file
    a = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 5000).id, None, opts)
    voided = sc.v1.invoices.void_invoice(a.id, None, opts)
    assert voided.status == "void" and voided.status_transitions.voided_at
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.pay(a.id, {"payment_method": pm.id}, opts)
    b = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 5000).id, None, opts)
    lost = sc.v1.invoices.mark_uncollectible(b.id, None, opts)
    assert lost.status == "uncollectible"
    assert sc.v1.invoices.pay(b.id, {"payment_method": pm.id}, opts).status == "paid"
    d = draft(sc, opts, cus, 5000)
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.void_invoice(d.id, None, opts)  # drafts are deleted, not voided
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.finalize_invoice(a.id, None, opts)


def test_list_and_filter_invoices(sc, client_on_file):
    opts, cus, _ = client_on_file
    d = draft(sc, opts, cus, 1000)
    o = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 2000).id, None, opts)
    assert [i.id for i in sc.v1.invoices.list({"customer": cus.id}, opts).data] == [o.id, d.id]
    assert [i.id for i in sc.v1.invoices.list({"status": "open"}, opts).data] == [o.id]
    assert [i.id for i in sc.v1.invoice_items.list({"invoice": d.id}, opts).data] == [
        d.lines.data[0].parent.invoice_item_details.invoice_item]


def test_auto_advance_false_stays_put_as_time_passes(standin, sc, client_on_file):
    opts, cus, _ = client_on_file
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method":
                                                         client_on_file[2].id}}, opts)
    d = draft(sc, opts, cus, 3000)
    o = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 3000).id, None, opts)
    standin.advance(days=3)
    assert sc.v1.invoices.retrieve(d.id, None, opts).status == "draft"
    again = sc.v1.invoices.retrieve(o.id, None, opts)
    assert again.status == "open" and again.attempted is False
    assert again.next_payment_attempt is None


def test_auto_advance_true_finalizes_and_collects_after_an_hour(standin, sc, client_on_file):
    opts, cus, pm = client_on_file
    sc.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}},
                           opts)
    inv = draft(sc, opts, cus, 3000, auto_advance=True)
    assert inv.automatically_finalizes_at == inv.created + 3600
    standin.advance(seconds=3601)
    assert sc.v1.invoices.retrieve(inv.id, None, opts).status == "open"
    standin.advance(seconds=3601)
    assert sc.v1.invoices.retrieve(inv.id, None, opts).status == "paid"


def test_send_invoice_due_date_and_overdue_event(standin, sc, client_on_file):
    opts, cus, _ = client_on_file
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.invoices.create({"customer": cus.id, "collection_method": "send_invoice"}, opts)
    assert exc.value.param == "days_until_due"
    inv = draft(sc, opts, cus, 4500, collection_method="send_invoice", days_until_due=30)
    inv = sc.v1.invoices.finalize_invoice(inv.id, None, opts)
    assert inv.collection_method == "send_invoice"
    assert inv.due_date == inv.status_transitions.finalized_at + 30 * DAY
    standin.advance(days=29)
    assert sc.v1.events.list({"type": "invoice.overdue"}, opts).data == []
    standin.advance(days=2)
    (overdue,) = sc.v1.events.list({"type": "invoice.overdue"}, opts).data
    assert overdue.data.object.id == inv.id and overdue.account == opts["stripe_account"]


def test_draft_items_can_change_and_drafts_can_be_deleted(sc, client_on_file):
    opts, cus, _ = client_on_file
    inv = draft(sc, opts, cus, 1000, 2000)
    first = inv.lines.data[0].parent.invoice_item_details.invoice_item
    sc.v1.invoice_items.update(first, {"amount": 1500}, opts)
    sc.v1.invoice_items.delete(inv.lines.data[1].parent.invoice_item_details.invoice_item,
                               None, opts)
    assert sc.v1.invoices.retrieve(inv.id, None, opts).amount_due == 1500
    assert sc.v1.invoices.delete(inv.id, None, opts).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.invoices.retrieve(inv.id, None, opts)


def test_hosted_invoice_page_shows_a_decline_then_takes_a_good_card(sc, client_on_file):
    opts, cus, _ = client_on_file
    inv = sc.v1.invoices.finalize_invoice(draft(sc, opts, cus, 13800).id, None, opts)
    page = httpx.get(inv.hosted_invoice_url)
    assert page.status_code == 200 and "$138.00" in page.text and inv.number in page.text
    declined = httpx.post(inv.hosted_invoice_url, data={"cardnumber": "4000000000009995",
                                                        "expiry": "12/34", "cvc": "123"})
    assert declined.status_code == 200 and "insufficient funds" in declined.text
    assert sc.v1.invoices.retrieve(inv.id, None, opts).status == "open"
    ok = httpx.post(inv.hosted_invoice_url, data={"cardnumber": "4242424242424242",
                                                  "expiry": "12/34", "cvc": "123"},
                    follow_redirects=True)
    assert ok.status_code == 200 and "has been paid" in ok.text
    assert sc.v1.invoices.retrieve(inv.id, None, opts).status == "paid"
    pdf = httpx.get(inv.invoice_pdf)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
