"""Headless Chromium: a claim the payer denied (CO-16 with remarks MA130 and M51) and whose
277CA first accepted it shows, on the claim's page, "What the payer said" in words: group
codes as "Contractual obligation", each code's meaning and what to do, the amount, and the
835 among the claim's files with a link to its ERA page.
Set OASYS_SHOTS_DIR to keep the screenshot (claimcodes-claim-payer-said.png)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.billing.tests import factories as f
from oasys.clearinghouse.services import edi_file_receive
from oasys.core.tests.browser import log_in
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import Adj, C, era, submitted_claim

from .test_payer_said import _277ca

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_claim_page_says_what_the_payer_said(live_server, page, owner, tmp_path):
    practice = owner.practice
    claim = submitted_claim(practice)
    edi_file_receive(raw=_277ca(claim, category="A2", status="20"))
    era_import(practice=practice, ctx=f.ctx_for(practice=practice), raw=era(
        [C(claim.patient_control_number, "130.00", "0.00", [Adj("CO", "16", "130.00")],
           status="4", remarks=["MA130", "M51"])], trace="EFTDENY", date=dt.date(2026, 3, 10)))

    page.set_default_timeout(60_000)  # a loaded CI machine; expect() still waits for words
    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")
    page.goto(f"{base}/billing/claims/{claim.pk}/")

    section = page.locator("#payer-said")
    expect(section).to_contain_text("What the payer said")
    era_block = section.locator("[data-testid=payer-statement]", has_text="ERA of Mar 10, 2026")
    expect(era_block).to_contain_text("Denied")
    co16 = era_block.locator("tr[data-code='CO-16']")
    expect(co16).to_contain_text("Contractual obligation")
    expect(co16).to_contain_text("missing information")
    expect(co16).to_contain_text("$130.00")
    expect(co16).to_contain_text("replacement claim")
    expect(era_block.locator("tr[data-code='MA130']")).to_contain_text("cannot be appealed")
    expect(era_block.locator("tr[data-code='M51']")).to_contain_text("procedure code")
    ack = section.locator("[data-testid=payer-statement]", has_text="277CA of")
    expect(ack.locator("tr[data-code='A2:20']")).to_contain_text("Accepted for processing.")

    era_file = page.locator("[data-testid=claim-file]", has_text="835")
    expect(era_file).to_have_count(1)
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or tmp_path)
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(folder / "claimcodes-claim-payer-said.png"), full_page=True)

    era_file.locator("a:has-text('remittance (ERA) page')").click()
    page.wait_for_url(f"{base}/billing/remittances/**")
    expect(page.locator("body")).to_contain_text("EFTDENY")
