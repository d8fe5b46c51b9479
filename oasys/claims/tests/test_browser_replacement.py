"""Headless Chromium: a denied claim is corrected with a replacement that the biller reviews
before it goes. The biller opens the claim, chooses "Send a corrected claim", changes the CPT
and the units, sees "was → now", confirms, and lands on the replacement, Submitted, frequency
7, while the original is closed.

With OASYS_SHOTS_DIR set, it keeps screenshots there (replacement-edit.png,
replacement-review.png, replacement-sent.png)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import ctx_for, ready_claim_session
from oasys.claims.models import Claim
from oasys.claims.services import claim_transition
from oasys.claims.status import ClaimStatus
from oasys.core.tests.browser import log_in
from x12.tests.pyx12_check import pyx12_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("OASYS_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_denied_claim_corrected_reviewed_and_sent_as_a_replacement(
        live_server, page, owner, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    practice = owner.practice
    sc = ready_claim_session(practice)
    ctx = ctx_for(practice=practice)
    [claim] = billing_submit(practice=practice, appointment_ids=[sc.appointment.pk],
                             ctx=ctx).claims
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number="PAYER-4410")
    claim.refresh_from_db()
    claim_transition(claim=claim, to=ClaimStatus.DENIED, ctx=ctx,
                     reason="CO-11: the diagnosis is inconsistent with the procedure")

    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")

    page.goto(f"{base}/billing/claims/{claim.pk}/")
    expect(page.locator(".badge.denied").first).to_be_visible()
    page.get_by_role("button", name="Send a corrected claim (replacement)").click()
    page.wait_for_url(f"{base}/billing/claims/{claim.pk}/replacement/")
    expect(page.get_by_label("Line 1 CPT")).to_have_value("90834")

    # Nothing changed yet: refused with the reason, nothing sent.
    page.get_by_role("button", name="Review the changes").click()
    expect(page.get_by_test_id("replacement-refused")).to_contain_text(
        "Nothing was changed: a replacement must correct something.")
    # Bad input: a clear error beside the field.
    page.get_by_label("Line 1 units").fill("0")
    page.get_by_role("button", name="Review the changes").click()
    expect(page.get_by_text("Units must be more than 0.")).to_be_visible()
    assert not Claim.objects.filter(corrects=claim).exists()

    page.get_by_label("Line 1 CPT").fill("90837")
    page.get_by_label("Line 1 units").fill("2")
    page.get_by_label("Line 1 charge").fill("180.00")
    page.get_by_label("Prior authorization number").fill("AUTH-5521")
    page.get_by_label("What it is (1)").select_option("09")
    page.get_by_label("How it is sent (1)").select_option("FX")
    _shot(page, "replacement-edit.png")
    page.get_by_role("button", name="Review the changes").click()
    page.wait_for_url(f"{base}/billing/claims/{claim.pk}/replacement/review/")

    diff = page.get_by_test_id("replacement-diff")
    expect(diff).to_contain_text("Line 1 CPT: 90834 → 90837")
    expect(diff).to_contain_text("Line 1 units: 1 → 2")
    expect(diff).to_contain_text("Line 1 charge: $130.00 → $180.00")
    expect(diff).to_contain_text("Attachments (PWK): — → Progress report (09), by fax")
    expect(page.get_by_text("citing the payer's claim number PAYER-4410")).to_be_visible()
    _shot(page, "replacement-review.png")
    assert claim.corrections.get().status == ClaimStatus.DRAFT  # not sent before confirming

    page.get_by_role("button", name="Send the replacement").click()
    replacement = Claim.objects.get(corrects=claim)
    page.wait_for_url(f"{base}/billing/claims/{replacement.pk}/")
    expect(page.get_by_text("sent (frequency 7, citing payer claim PAYER-4410)")).to_be_visible()
    expect(page.locator(".badge.submitted").first).to_be_visible()
    expect(page.locator("dd", has_text="Replacement of")).to_be_visible()
    _shot(page, "replacement-sent.png")

    replacement.refresh_from_db()
    claim.refresh_from_db()
    assert replacement.status == ClaimStatus.SUBMITTED and replacement.frequency == "7"
    assert claim.status == ClaimStatus.CLOSED
    raw = replacement.submission.edi_file.raw
    assert "REF*F8*PAYER-4410~" in raw and "SV1*HC:90837" in raw and "*UN*2*" in raw
    assert pyx12_errors(raw) == []


def test_pending_info_claim_sends_the_requested_information(
        live_server, page, owner, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    practice = owner.practice
    sc = ready_claim_session(practice)
    ctx = ctx_for(practice=practice)
    [claim] = billing_submit(practice=practice, appointment_ids=[sc.appointment.pk],
                             ctx=ctx).claims
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number="PAYER-PI7")
    claim.refresh_from_db()
    claim_transition(claim=claim, to=ClaimStatus.PENDING_INFO, ctx=ctx,
                     reason="R4: additional documentation requested")

    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")
    page.goto(f"{base}/billing/claims/{claim.pk}/")
    page.get_by_role("button", name="Send the requested information").click()
    page.wait_for_url(f"{base}/billing/claims/{claim.pk}/replacement/")
    expect(page.get_by_role("heading", name="The information the payer asked for")).to_be_visible()
    page.get_by_label("What it is (1)").select_option("09")
    page.get_by_label("How it is sent (1)").select_option("FX")
    page.get_by_label("Attachment control number (1)").fill("PN-2026-7")
    page.get_by_label("Note to the payer").fill("Progress notes faxed as requested")
    _shot(page, "replacement-pending-info.png")
    page.get_by_role("button", name="Review the changes").click()
    diff = page.get_by_test_id("replacement-diff")
    expect(diff).to_contain_text(
        "Attachments (PWK): — → Progress report (09), by fax, control number PN-2026-7")
    expect(diff).to_contain_text("Note to the payer: — → Progress notes faxed as requested")
    page.get_by_role("button", name="Send the replacement").click()
    replacement = Claim.objects.get(corrects=claim)
    page.wait_for_url(f"{base}/billing/claims/{replacement.pk}/")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLOSED
    raw = replacement.submission.edi_file.raw
    assert "PWK*09*FX***AC*PN-2026-7~" in raw and "NTE*ADD*PROGRESS NOTES FAXED" in raw
    assert pyx12_errors(raw) == []
