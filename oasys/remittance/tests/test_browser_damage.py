"""Headless Chromium: an 835 with one damaged claim (a valid ERA whose second claim has the
impossible service date DTM*472*20140231, and a cp1252 byte in a name) is uploaded. The ERA
page names the damaged claim with its segment and why, says nothing is posted and lists the
byte read with the fallback encoding. "Post the rest" then posts the two other claims and
leaves the damaged one listed, not posted; in another run "Reject the file" posts nothing."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from playwright.sync_api import expect

from oasys.ledger.models import JournalEntry
from oasys.remittance.models import Remittance, RemittanceClaim, RemittanceStatus

from .helpers import copay_claim, era, submitted_claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BAD_DATE = "20140231"


def _damaged_era(claims) -> bytes:
    raw = era([copay_claim(c, service_date=dt.date(2026, 3, n + 2))
               for n, c in enumerate(claims)])
    assert raw.count("DTM*472*20260303~") == 1  # the second claim's service date
    raw = raw.replace("DTM*472*20260303~", f"DTM*472*{BAD_DATE}~")
    data = raw.encode()
    return data.replace(b"NM1*QC*1*", b"NM1*QC*1*\xc9", 1)  # cp1252/Latin-1 for an É


def _upload(page, base, owner, path) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Log in')")
    page.wait_for_load_state()
    page.goto(f"{base}/billing/remittances/upload/")
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit]:visible >> nth=-1")
    page.wait_for_load_state()


def _shot(page, name: str) -> None:
    if os.environ.get("OASYS_SHOTS"):
        page.screenshot(path=f"/work/shots/{name}", full_page=True)


def _held_page_checks(page, claims) -> None:
    expect(page.get_by_text("Held: nothing of this ERA is posted.")).to_be_visible()
    row = page.locator("[data-testid=damage-row]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(claims[1].patient_control_number)
    expect(row).to_contain_text("(DTM)")  # the segment's position in the file and its id
    expect(row).to_contain_text("DTM02")
    expect(row).to_contain_text(BAD_DATE)
    expect(row.locator("[data-testid=damage-why]")).not_to_be_empty()
    expect(page.locator("article")).to_have_count(0)  # no claim posted
    warning = page.locator("[data-testid=encoding-warning]")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("NM103")
    expect(warning).to_contain_text("0xC9")
    expect(warning).to_contain_text("É")


def test_post_the_rest_posts_the_others_and_leaves_the_damaged_claim(
        live_server, page, practice, owner, tmp_path):
    claims = [submitted_claim(practice) for _ in range(3)]
    path = tmp_path / "damaged.835"
    path.write_bytes(_damaged_era(claims))
    _upload(page, live_server.url, owner, path)
    _held_page_checks(page, claims)
    _shot(page, "x12real-damaged.png")
    assert RemittanceClaim.objects.filter(practice=practice).count() == 0
    assert not JournalEntry.objects.filter(practice=practice).exists()

    page.click("[data-testid=post-rest]")
    expect(page.get_by_text("were not posted")).to_be_visible()
    expect(page.locator("[data-testid=post-rest]")).to_have_count(0)
    articles = page.locator("article")
    expect(articles).to_have_count(2)
    expect(articles.nth(0)).to_contain_text(claims[0].patient_control_number)
    expect(articles.nth(1)).to_contain_text(claims[2].patient_control_number)
    row = page.locator("[data-testid=damage-row]")
    expect(row).to_contain_text(claims[1].patient_control_number)
    expect(row).to_contain_text("Not posted")
    _shot(page, "x12real-damaged-posted.png")
    r = Remittance.objects.get(practice=practice)
    assert r.status == RemittanceStatus.PARTIALLY_POSTED
    assert set(RemittanceClaim.objects.filter(remittance=r).values_list(
        "patient_control_number", flat=True)) == {claims[0].patient_control_number,
                                                  claims[2].patient_control_number}


def test_reject_the_file_posts_nothing(live_server, page, practice, owner, tmp_path):
    claims = [submitted_claim(practice) for _ in range(3)]
    path = tmp_path / "damaged.835"
    path.write_bytes(_damaged_era(claims))
    _upload(page, live_server.url, owner, path)
    _held_page_checks(page, claims)
    page.fill("#reject-reason", "Payer will resend a corrected 835")
    page.click("[data-testid=reject-file]")
    expect(page.locator("[data-testid=reject-reason]")).to_contain_text(
        "Payer will resend a corrected 835")
    expect(page.locator("[data-testid=post-rest]")).to_have_count(0)
    expect(page.locator("article")).to_have_count(0)
    _shot(page, "x12real-rejected.png")
    r = Remittance.objects.get(practice=practice)
    assert r.status == RemittanceStatus.REJECTED
    assert RemittanceClaim.objects.filter(practice=practice).count() == 0
    assert not JournalEntry.objects.filter(practice=practice).exists()
