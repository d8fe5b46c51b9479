"""Headless Chromium: on a Ready tab longer than one page, ticking the header box offers
"Select all N Ready sessions matching these filters"; choosing it bills every one of them,
those on the other pages too. With OASYS_SHOTS set, screenshots go to /work/shots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.billing import views as billing_views
from oasys.invoices.models import InvoiceLine

from . import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    if os.environ.get("OASYS_SHOTS"):
        folder = Path("/work/shots")
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"validation-{name}.png"), full_page=True)


def test_select_all_matching_bills_every_page(live_server, page, practice, owner, monkeypatch):
    monkeypatch.setattr(billing_views, "PAGE_SIZE", 2)
    clinician = f.make_clinician(practice)
    service_type = f.make_service_type(practice)
    sessions = [f.self_pay_session(practice, clinician=clinician, service_type=service_type,
                                   days_ago=d) for d in (2, 3, 4, 5)]
    elsewhere = f.self_pay_session(practice, service_type=service_type)  # filtered out

    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Log in')")
    page.wait_for_load_state()
    page.goto(f"{base}/billing/sessions/?clinician={clinician.pk}")
    expect(page.locator("[data-testid=ready-count]")).to_have_text("4")
    expect(page.locator("input[name=session]")).to_have_count(2)  # one page of two
    banner = page.locator("[data-testid=select-all-banner]")
    expect(banner).to_be_hidden()

    page.check("#select-all")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("All 2 sessions on this page are selected.")
    page.click("button:has-text('Select all 4 Ready sessions matching these filters')")
    expect(banner).to_contain_text("All 4 Ready sessions matching these filters are selected.")
    bill = page.locator("[data-bill-button]")
    expect(bill).to_have_text("Bill all 4 sessions")
    _shot(page, "select-all-across-pages")

    # Unticking one row goes back to this page's selection only.
    page.uncheck("input[name=session] >> nth=0")
    expect(banner).to_be_hidden()
    expect(bill).to_have_text("Bill selected sessions")
    page.check("#select-all")
    page.click("button:has-text('Select all 4 Ready sessions matching these filters')")

    bill.click()
    expect(page.locator("body")).to_contain_text("Sent 4 invoice(s)")
    billed = set(InvoiceLine.objects.values_list("appointment_id", flat=True))
    assert billed == {s.pk for s in sessions}
    assert elsewhere.pk not in billed
    expect(page.locator("[data-testid=ready-count]")).to_have_text("0")
    _shot(page, "select-all-billed")
