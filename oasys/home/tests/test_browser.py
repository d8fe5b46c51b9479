"""Headless Chromium: the therapist logs in and lands on the home page of the demo practice
(with claims, ERAs, invoices, eligibility checks and six months of money added), reads what
needs attention and follows a count to the list it counts.

With OASYS_SHOTS set, it keeps screenshots at desktop and phone width in /work/shots
(home-desktop.png, home-phone.png)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.billing.tests import factories as f
from oasys.core.models import Practice
from oasys.core.tests.browser import log_in
from oasys.core.timezones import practice_today
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo
from oasys.ledger.services import ledger_post_claim_charge
from oasys.practice.models import ProviderProfile
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim
from oasys.statements.tests.world import posted_on

from .world import home_world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/work/shots")


def _months_of_money(practice: Practice) -> None:
    """Claims billed and paid over the last six months, more each month."""
    ctx = f.ctx_for(practice=practice)
    npi = ProviderProfile.objects.get(practice=practice).npi
    today = practice_today(practice)
    for back in range(5, -1, -1):
        index = today.year * 12 + today.month - 1 - back
        first = dt.date(index // 12, index % 12 + 1, 1)
        billed_on = first if back else today
        claims = []
        with posted_on(practice, billed_on):
            for _ in range(2 + (5 - back) // 2):
                claim = submitted_claim(practice)
                ledger_post_claim_charge(claim=claim, ctx=ctx)
                claims.append(claim)
        paid_on = first + dt.timedelta(days=12) if back else today
        with posted_on(practice, paid_on, hour=13):
            era_import(practice=practice, ctx=ctx, raw=era(
                [copay_claim(c, payer_claim_number=f"P{back}{i}")
                 for i, c in enumerate(claims[:-1])], trace=f"EFT-M{back}", payee_npi=npi))


def _shot(page, name: str, width: int) -> None:
    if not os.environ.get("OASYS_SHOTS"):
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(SHOTS / f"home-{name}.png"), full_page=True)


def test_log_in_to_the_home_page_and_follow_a_count(live_server, page):
    seed_demo()
    practice = Practice.objects.get(slug="serenity")
    home_world_build(practice, size=1)
    _months_of_money(practice)

    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)

    expect(page.locator("h1")).to_have_text("Today")
    expect(page.locator("[data-testid=claims-denied] .count")).to_have_text("1")
    expect(page.locator("[data-testid=eras-damaged] .count")).to_have_text("1")
    expect(page.locator("[data-testid=money-chart] rect")).to_have_count(12)
    expect(page.locator("[data-testid=next-run]")).to_contain_text("Auto-billing is off")
    _shot(page, "desktop", 1280)
    _shot(page, "phone", 390)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("[data-testid=reason-missing_diagnosis] a")
    page.wait_for_url(f"{base}/billing/sessions/?tab=incomplete&reason=missing_diagnosis")
    expect(page.locator("#id_reason")).to_have_value("missing_diagnosis")

    page.go_back()
    page.click("[data-testid=claims-denied] a")
    page.wait_for_url(f"{base}/billing/claims/?status=denied")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr .badge").first).to_have_text("Denied")
