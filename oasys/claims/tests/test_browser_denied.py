"""Headless Chromium: a claim the payer rejected (member not found) shows in Manage Claims →
Denied with the reason and what to do; the biller fixes the member ID and corrects and
resubmits from the claim's page."""

import pytest

from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import ctx_for, ready_claim_session
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.services import reports_poll
from oasys.core.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_denied_tab_correct_and_resubmit(live_server, page, owner, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    practice = owner.practice
    sc = ready_claim_session(practice)
    sc.policy.member_id = "REJMEMBER42"
    sc.policy.save()
    [claim] = billing_submit(practice=practice, appointment_ids=[sc.appointment.pk],
                             ctx=ctx_for(practice=practice)).claims
    reports_poll()
    clearinghouse_sim.advance(1.1)
    reports_poll()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED

    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")
    page.goto(f"{base}/billing/claims/?tab=denied")
    row = page.locator("tbody tr", has_text=claim.patient_control_number)
    assert "A7" in row.inner_text()
    assert "member ID" in row.inner_text()  # the suggested fix
    row.locator(f"a:has-text('{claim.patient_control_number}')").click()
    page.wait_for_url(f"{base}/billing/claims/{claim.pk}/")
    assert page.locator(".denial").is_visible()

    # Fix the member ID on the client's insurance, as the advice says.
    page.goto(f"{base}/billing/clients/{sc.client.pk}/insurance/{sc.policy.pk}/")
    page.fill("#id_member_id", "W55500042")
    page.click("button:has-text('Save policy')")
    page.wait_for_load_state()

    page.goto(f"{base}/billing/claims/{claim.pk}/")
    page.click("button:has-text('Correct and resubmit')")
    page.wait_for_selector("text=Corrected and resubmitted.")
    assert page.locator(".badge.submitted").first.is_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert "W55500042" in claim.submission.edi_file.raw
    assert Claim.objects.count() == 1  # corrected in place: a rejection is not a new claim
