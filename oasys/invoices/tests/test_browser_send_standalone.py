"""Headless Chromium: a biller creates a standalone invoice on the screen for a client whose
card on file (autopay) declines, sends it from its page, and sees it Open with the declined
attempt in words; records part of it paid in cash from the page; then finds the invoice
email in Billing → Outbox.

The delivery task runs eagerly (the root conftest makes Celery eager, and the send commits
inside the request), the payments port is the fake the demo's payments were seeded on.
Set OASYS_SHOTS_DIR to keep a screenshot of the invoice page."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from oasys.core.models import Practice, SentEmail
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo, seed_demo_payments
from oasys.invoices.models import AttemptOutcome, Invoice, InvoiceKind, InvoiceStatus
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.models import ClientPaymentProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, tmp_path, name):
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or tmp_path)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_send_a_standalone_invoice_from_its_page(live_server, page, tmp_path):
    seed_demo()
    result = seed_demo_payments()
    assert not result.warning, result.warning
    practice = Practice.objects.get(slug="serenity")
    # the demo's client whose card declines when charged
    profile = ClientPaymentProfile.objects.get(practice=practice, card_last4="0341")
    client = profile.client
    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)

    page.click("nav[aria-label=Billing] a:has-text('Manage Invoices')")
    page.click("[data-testid=create-standalone]")
    page.wait_for_url(f"{base}/billing/invoices/new/")
    page.select_option("#id_client_id", str(client.pk))
    page.fill("input[name=line-0-description]", "Late cancellation fee")
    page.fill("input[name=line-0-amount]", "90")
    page.click("button:has-text('Create invoice')")
    page.wait_for_selector("text=created as a Draft")
    # the newest: the demo seed gave this client a standalone invoice of its own
    invoice = Invoice.objects.filter(kind=InvoiceKind.STANDALONE, client=client).latest("pk")
    assert page.locator("[data-testid=invoice-status]").inner_text() == "Draft"

    page.click("[data-testid=action-send]")
    page.wait_for_selector("text=is being sent")
    # delivered within the request: on Stripe, the card tried and declined, the invoice Open
    assert page.locator("[data-testid=invoice-status]").inner_text() == "Open"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.on_stripe
    attempt = invoice.attempts.get()
    assert attempt.outcome == AttemptOutcome.DECLINED and attempt.reason
    attempts = page.locator("[data-testid=attempts]").inner_text()
    assert "Declined" in attempts and attempt.reason in attempts and "0341" in attempts
    assert page.locator("[data-testid=hosted-link]").count() == 1
    assert "sending\topen" in page.locator("[data-testid=status-history]").inner_text()

    # part of it paid in cash at the front desk
    page.click("[data-testid=record-payment] summary")
    page.fill("#id_amount", "40")
    page.fill("#id_reference", "Front desk")
    page.click("button:has-text('Record payment')")
    page.wait_for_selector("text=payment of $40.00 recorded")
    assert page.locator("[data-testid=invoice-balance]").inner_text() == "$50.00"
    assert "Front desk" in page.locator("[data-testid=payments]").inner_text()
    assert invoice_figures_one(practice=practice, invoice=invoice).balance == Decimal("50.00")
    _shot(page, tmp_path, "invoice-detail")

    # the email the client received, in Billing → Outbox
    email = SentEmail.objects.filter(object_type="Invoice", object_id=str(invoice.pk),
                                     kind="invoice").get()
    page.click("nav[aria-label=Billing] a:has-text('Outbox')")
    page.wait_for_url(f"{base}/billing/outbox/**")
    page.click(f"a[href='/billing/outbox/{email.pk}/']")
    page.wait_for_url(f"{base}/billing/outbox/{email.pk}/")
    body = page.locator("main").inner_text()
    assert client.email in body and invoice.number in body
