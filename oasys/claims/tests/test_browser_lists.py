"""Headless Chromium: a biller filters Manage Claims (several statuses and an age), sees
the totals and the copay wording, saves the filters as a chip, and downloads the CSV,
which holds exactly the filtered claims. With OASYS_SHOTS set it keeps
/work/shots/lists-claims-desktop.png and, at 390 px, lists-claims-phone.png."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim, SavedFilter
from oasys.claims.services import claim_transition
from oasys.claims.status import ClaimStatus
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots")


def _claims(practice) -> dict[str, Claim]:
    ctx = f.ctx_for(practice=practice)
    made = {}
    for key, submitted_days_ago in (("old", 45), ("copay", 40), ("new", 3), ("denied", 50)):
        claim = submitted_claim(practice, days_ago=submitted_days_ago + 2)
        Claim.objects.filter(pk=claim.pk).update(
            submitted_at=timezone.now() - dt.timedelta(days=submitted_days_ago))
        made[key] = claim
    era_import(practice=practice, ctx=ctx, raw=era([copay_claim(made["copay"])], trace="CP1"))
    claim_transition(claim=made["denied"], to=ClaimStatus.DENIED, ctx=ctx, source="test")
    for claim in made.values():
        claim.refresh_from_db()
    return made


def test_filter_save_and_download_the_claims_list(live_server, page, practice, owner,
                                                  tmp_path):
    made = _claims(practice)
    page.set_default_timeout(60_000)  # a shared, busy machine: patience, not a timed test
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Log in')")
    page.wait_for_load_state()

    page.goto(f"{base}/billing/claims/")
    expect(page.locator("[data-testid=claims-table] tbody tr")).to_have_count(4)
    page.select_option("#id_status", ["submitted", "partial"])
    page.fill("#id_age_min", "30")
    page.click("[data-testid=claim-filters] button:has-text('Filter')")
    rows = page.locator("[data-testid=claims-table] tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f"tr[data-claim='{made['copay'].pk}']")).to_contain_text(
        "Paid, client owes copay")
    expect(page.locator("[data-total=charge]")).to_have_text("$260.00")
    expect(page.locator("[data-total=paid]")).to_have_text("$78.00")
    expect(page.locator("[data-total=client_share]")).to_have_text("$20.00")

    page.fill("#id_name", "Over 30 days")
    page.click("[data-testid=save-filter] button")
    expect(page.locator("[data-testid=saved-filter]")).to_have_text("Over 30 days")
    assert SavedFilter.objects.get(user=owner).query == (
        "status=submitted&status=partial&age_min=30")

    if os.environ.get("OASYS_SHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "lists-claims-desktop.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SHOTS / "lists-claims-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})

    # a fresh page from the chip: the same filters, then the CSV of exactly those claims
    page.goto(f"{base}/billing/claims/")
    page.click("[data-testid=saved-filter]")
    expect(page.locator("[data-testid=claims-table] tbody tr")).to_have_count(2)
    with page.expect_download() as info:
        page.click("[data-testid=export-csv]")
    download = info.value
    assert download.suggested_filename.startswith("claims-")
    path = tmp_path / "claims.csv"
    download.save_as(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["claim"] for r in rows} == {made["old"].patient_control_number,
                                          made["copay"].patient_control_number}
    copay = next(r for r in rows if r["claim"] == made["copay"].patient_control_number)
    assert (copay["status"], copay["charge"], copay["paid"], copay["client_share"]) == (
        "Paid, client owes copay", "130.00", "78.00", "20.00")
