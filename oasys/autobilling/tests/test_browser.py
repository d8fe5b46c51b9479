"""Headless Chromium: the therapist finds auto-billing off on Bill Sessions, turns it on with
backfill, sees what tonight's run will bill, presses Run now and watches the run finish."""

import re

import pytest

from oasys.autobilling.models import BillingRun, RunPhase
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_turn_on_auto_billing_and_run_it_now(live_server, page):
    seed_demo()
    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)
    page.click("nav[aria-label=Billing] a:has-text('Bill Sessions')")
    page.wait_for_url(f"{base}/billing/sessions/**")

    line = page.locator("[data-testid=next-run]")
    line.locator("text=Auto-billing is off").wait_for()  # loaded after the page, by htmx
    line.locator("a:has-text('turn it on')").click()
    page.wait_for_url(f"{base}/billing/setup/auto-billing/")
    assert page.locator("#id_cutoff_hour option:checked").inner_text() == "11 PM"
    page.check("#id_enabled")
    page.check("input[name=backfill][value=all]")
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Auto-billing is on: Ready items are billed every night at 11 PM.")
    assert page.locator("[data-testid=autobilling-state]").inner_text() == "On"

    page.click("nav[aria-label=Billing] a:has-text('Bill Sessions')")
    line = page.locator("[data-testid=next-run]")
    line.locator("text=Auto-billing runs").wait_for()
    assert re.search(r"Auto-billing runs (tonight|tomorrow) at 11:00 PM: \d+ claims?",
                     line.inner_text())

    page.click("nav[aria-label=Billing] a:has-text('Auto-billing')")
    page.wait_for_url(f"{base}/billing/auto-billing/")
    # Celery is eager here: the whole run (the demo's backlog) happens inside this request,
    # so its answer is slow to come; in the demo a worker runs it and the page polls.
    with page.expect_navigation(url=re.compile(r".*/billing/auto-billing/runs/\d+/$"),
                                timeout=300_000):
        page.click("[data-testid=run-now]", no_wait_after=True)
    page.wait_for_selector("[data-testid=run][data-done=true]")
    run = BillingRun.objects.get()
    assert run.phase == RunPhase.DONE
    assert page.locator("[data-testid=group-billed]").count() == 1
    assert page.locator("[data-testid=run-events] tbody tr").count() == 7  # select→…→done

    page.click("text=← Auto-billing history")
    row = page.locator(f"tr[data-run='{run.pk}']")
    assert "Done" in row.inner_text() and "Manual" in row.inner_text()
