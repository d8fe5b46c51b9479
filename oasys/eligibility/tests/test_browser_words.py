"""Headless Chromium: a rejected eligibility check (AAA 72) shows a red banner with the
reason in words, never the green one; an active check lists its figures in words. Set
OASYS_SHOTS_DIR to keep claimcodes-eligibility-rejected.png and -active.png."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.core.tests.browser import log_in
from oasys.eligibility.models import CheckSource
from oasys.eligibility.services import eligibility_check_run

from .test_words import MH, _transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rejected_and_active_checks_in_words(live_server, page, owner, el_ctx, el_policy,
                                             el_provider, clearinghouse, tmp_path):
    checks = {}
    for name, index in (("rejected", 2), ("active", 0)):
        clearinghouse.eligibility_answer = _transaction(MH, index)
        checks[name] = eligibility_check_run(policy=el_policy, ctx=el_ctx, actor=owner,
                                             source=CheckSource.MANUAL)
    page.set_default_timeout(60_000)
    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or tmp_path)

    page.goto(f"{base}/billing/eligibility/checks/{checks['rejected'].pk}/")
    banner = page.locator("[data-banner]")
    expect(banner).to_have_attribute("data-banner", "error")
    expect(banner).to_contain_text("Invalid/missing subscriber/insured ID")
    expect(banner).to_contain_text("member ID")
    page.screenshot(path=str(folder / "claimcodes-eligibility-rejected.png"), full_page=True)

    page.goto(f"{base}/billing/eligibility/checks/{checks['active'].pk}/")
    expect(page.locator("[data-banner]")).to_have_attribute("data-banner", "ok")
    expect(page.locator("[data-field=copay]")).to_contain_text(
        "$25.00 per visit, in network, individual (mental health)")
    deductible = page.locator("[data-table=deductible] .elig-figure").first
    expect(deductible).to_contain_text("$1,500.00 deductible, calendar year (whole plan)")
    expect(deductible).to_have_attribute(  # the row names network and level; so does this
        "title", "$1,500.00 deductible, calendar year, in network, individual (whole plan)")
    page.screenshot(path=str(folder / "claimcodes-eligibility-active.png"), full_page=True)
