"""Headless Chromium: the therapist selects Ready insured sessions and bills them; the claims
reach the clearinghouse simulator (a real process) and show as Submitted."""

import pytest

from oasys.claims.models import Claim
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_submit_claims_from_the_ready_tab(live_server, page, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    seed_demo()
    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)
    page.click("nav[aria-label=Billing] a:has-text('Bill Sessions')")
    page.wait_for_url(f"{base}/billing/sessions/**")

    ready_before = int(page.locator("[data-testid=ready-count]").inner_text())
    claim_rows = page.locator("tbody tr", has=page.locator("td .badge", has_text="Claim"))
    assert claim_rows.count() >= 3
    chosen = [claim_rows.nth(i).locator("input[name=session]").get_attribute("value")
              for i in range(3)]
    for value in chosen:
        page.check(f"input[name=session][value='{value}']")
    page.click("button:has-text('Bill selected sessions')")
    page.wait_for_selector("text=Submitted 3 claim(s) to the clearinghouse")

    claims = Claim.objects.filter(appointment_id__in=[int(v) for v in chosen])
    assert claims.count() == 3
    assert set(claims.values_list("status", flat=True)) == {"submitted"}
    assert len(clearinghouse_sim.claims()) == 3
    assert int(page.locator("[data-testid=ready-count]").inner_text()) == ready_before - 3
    for value in chosen:  # billed sessions leave the queue
        assert page.locator(f"input[name=session][value='{value}']").count() == 0

    page.click("nav[aria-label=Billing] a:has-text('Manage Claims')")
    page.wait_for_url(f"{base}/billing/claims/**")
    assert page.locator("tbody tr .badge.submitted").count() == 3
