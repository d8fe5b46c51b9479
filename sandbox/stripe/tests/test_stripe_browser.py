"""A person clicks through the stand-in's hosted pages in a real browser (Debian Chromium):
Connect onboarding, saving a card through Checkout in setup mode, paying a hosted invoice."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def platform_site():
    """Stands in for the product's return and success pages."""

    class H(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = f"<h1>Back on the platform</h1><p id=path>{self.path}</p>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_click_through_onboarding_a_card_and_an_invoice(standin, sc, page, platform_site):
    acct = sc.v1.accounts.create({"type": "express", "email": "owner@practice.example"})
    link = sc.v1.account_links.create({"account": acct.id, "type": "account_onboarding",
                                       "refresh_url": platform_site + "/refresh",
                                       "return_url": platform_site + "/return"})
    page.goto(link.url)
    page.get_by_label("Legal business name").fill("Serenity Counseling LLC")
    page.get_by_label("Bank account number").fill("000111222333")
    page.get_by_label("Tax ID (EIN)").fill("12-3456789")
    page.get_by_role("button", name="Agree and submit").click()
    page.wait_for_url(platform_site + "/return")
    done = sc.v1.accounts.retrieve(acct.id)
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (
        True, True, True)
    assert done.external_accounts.data[0].last4 == "2333"

    opts = {"stripe_account": acct.id}
    cus = sc.v1.customers.create({"email": "client@example.com"}, opts)
    cs = sc.v1.checkout.sessions.create({
        "mode": "setup", "customer": cus.id, "currency": "usd",
        "success_url": platform_site + "/card-saved?session={CHECKOUT_SESSION_ID}",
        "cancel_url": platform_site + "/card-cancelled"}, opts)
    page.goto(cs.url)
    page.get_by_text("Save a card with Serenity Counseling LLC").wait_for()
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Save card").click()
    assert "Your card was declined." in page.get_by_role("alert").inner_text()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Cardholder name").fill("Pat Doe")
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url(f"{platform_site}/card-saved?session={cs.id}")
    (pm,) = sc.v1.customers.payment_methods.list(cus.id, None, opts).data
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month, pm.card.exp_year) == (
        "visa", "4242", 12, 2034)
    assert pm.billing_details.name == "Pat Doe"

    # the hosted invoice page: a decline is shown, then a good card pays
    inv = sc.v1.invoices.create({"customer": cus.id, "collection_method": "send_invoice",
                                 "days_until_due": 30}, opts)
    sc.v1.invoice_items.create({"customer": cus.id, "invoice": inv.id, "amount": 13800,
                                "description": "90837 psychotherapy, 60 min"}, opts)
    inv = sc.v1.invoices.finalize_invoice(inv.id, None, opts)
    page.goto(inv.hosted_invoice_url)
    assert page.locator("#amount").inner_text() == "$138.00"
    page.get_by_label("Card number").fill("4000 0000 0000 9995")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    assert "insufficient funds" in page.get_by_role("alert").inner_text()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("This invoice has been paid.").wait_for()
    assert sc.v1.invoices.retrieve(inv.id, None, opts).status == "paid"
