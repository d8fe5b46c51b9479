"""Headless Chromium: a biller opens Manage Invoices, creates a standalone invoice with two
lines (one added with "Add line"), is refused a bad amount, fixes it and lands on the
invoice's page; the list's Draft tab then counts it.

Set OASYS_SHOTS_DIR to keep screenshots of the list, the form and the settings page."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from oasys.billing.readiness import Route, billing_queue
from oasys.billing.services import billing_submit
from oasys.clients.models import BillingType, Client
from oasys.core.audit import AuditContext
from oasys.core.models import Practice
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo
from oasys.invoices.models import Invoice, InvoiceKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, tmp_path, name):
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or tmp_path)
    page.screenshot(path=str(folder / f"inv-{name}.png"), full_page=True)


def test_create_a_standalone_invoice_from_the_screen(live_server, page, tmp_path):
    seed_demo()
    practice = Practice.objects.get(slug="serenity")
    ready = [i.appointment.pk for i in billing_queue(practice=practice)
             if i.ready and i.route == Route.INVOICE][:4]
    billing_submit(practice=practice, appointment_ids=ready,
                   ctx=AuditContext.system(practice_id=practice.pk))
    client = (Client.objects.filter(practice=practice, billing_type=BillingType.SELF_PAY)
              .exclude(email="").order_by("last_name").first())
    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)

    page.click("nav[aria-label=Billing] a:has-text('Manage Invoices')")
    page.wait_for_url(f"{base}/billing/invoices/**")
    drafts_before = int(page.locator("[data-testid=count-draft]").inner_text())
    _shot(page, tmp_path, "list")

    page.click("[data-testid=create-standalone]")
    page.wait_for_url(f"{base}/billing/invoices/new/")
    page.select_option("#id_client_id", str(client.pk))
    page.fill("input[name=line-0-description]", "Late cancellation fee")
    page.fill("input[name=line-0-amount]", "75.005")
    page.click("button:has-text('Add line')")
    page.wait_for_selector("input[name=line-3-description]")
    # what was typed survives "Add line"
    assert page.input_value("input[name=line-0-description]") == "Late cancellation fee"
    page.fill("input[name=line-3-description]", "Copy of records")
    page.fill("input[name=line-3-amount]", "25")
    page.click("button:has-text('Create invoice')")
    page.wait_for_selector("text=Use at most 2 decimal places (cents).")
    assert Invoice.objects.filter(kind=InvoiceKind.STANDALONE).count() == 0
    _shot(page, tmp_path, "standalone-form")
    page.fill("input[name=line-0-amount]", "75.00")
    page.click("button:has-text('Create invoice')")
    page.wait_for_selector("text=created as a Draft")

    invoice = Invoice.objects.get(kind=InvoiceKind.STANDALONE)
    assert page.url == f"{base}/billing/invoices/{invoice.pk}/"
    assert invoice.client_id == client.pk and invoice.total == Decimal("100.00")
    # a Draft bills $100.00 but owes nothing until it is sent (the charge posts as it opens)
    assert page.locator("[data-testid=invoice-balance]").inner_text() == "$0.00"
    assert page.locator("text=Copy of records").count() == 1

    page.goto(f"{base}/billing/invoices/")
    assert int(page.locator("[data-testid=count-draft]").inner_text()) == drafts_before + 1
    page.goto(f"{base}/billing/invoices/settings/")
    page.wait_for_selector("text=Invoice settings")
    _shot(page, tmp_path, "settings")
