"""Headless Chromium: a biller takes a draft client through the whole insurance wizard (a
PO box refused on the way, the subscriber step for a child) and sees the benefit summary of
the simulator's plan for that member; then a manual check of an unknown member."""

import pytest

from oasys.clients.services import client_create
from oasys.core.audit import AuditContext
from oasys.core.tests.browser import log_in
from oasys.eligibility.models import EligibilityCheck
from oasys.practice.models import AcceptedPayer, Payer, ProviderProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base):
    log_in(page, base, "owner@test.example", "correct horse battery")


def test_whole_wizard_then_summary(live_server, page, owner, practice, settings,
                                   clearinghouse_sim, tmp_path):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    settings.CLEARINGHOUSE_API_KEY = clearinghouse_sim.api_key
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)}}}
    clearinghouse_sim.control("members", {"KIDPLAN7": {
        "copay": "15", "deductible_individual": "250", "deductible_family": "500",
        "oop_max_individual": "2500", "visits_per_year": 20, "prior_auth": True}})
    ProviderProfile.objects.create(practice=practice, provider_type="individual",
                                   first_name="Dana", last_name="Reyes", npi="1234567893")
    payer = Payer.objects.create(name="Sunrise Health", payer_id_claims="SUN01")
    AcceptedPayer.objects.create(practice=practice, payer=payer)
    ctx = AuditContext(user_id=owner.pk, practice_id=practice.pk)
    client = client_create(practice=practice, ctx=ctx, data={
        "first_name": "Lily", "last_name": "Moss", "is_draft": True, "billing_type": "self_pay"})

    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/billing/clients/{client.pk}/")
    page.click("nav.subnav >> text=Settings → Insurance")
    page.wait_for_url("**/insurance/wizard/insurance/")
    with page.expect_response("**/wizard/payers/**"):
        page.fill("#payer_q", "sunrise")  # htmx narrows the accepted payers
    page.wait_for_timeout(100)  # let htmx swap the options in before choosing one
    page.select_option("#id_payer", str(payer.pk))
    page.fill("#id_member_id", "KIDPLAN7")
    page.select_option("#id_relationship", "child")
    page.click("button:has-text('Save and continue')")

    page.wait_for_url("**/wizard/client/")
    page.fill("#id_first_name", "Lily")
    page.fill("#id_last_name", "Moss")
    page.select_option("#id_gender", "F")
    page.fill("#id_date_of_birth", "2012-03-04")
    page.click("button:has-text('Save and continue')")

    page.wait_for_url("**/wizard/subscriber/")
    page.fill("#id_subscriber_first_name", "Rose")
    page.fill("#id_subscriber_last_name", "Moss")
    page.fill("#id_subscriber_date_of_birth", "1984-07-09")
    page.select_option("#id_subscriber_gender", "F")
    page.fill("#id_subscriber_address1", "PO Box 44")
    page.fill("#id_subscriber_city", "Springfield")
    page.select_option("#id_subscriber_state", "IL")
    page.fill("#id_subscriber_zip_code", "62702")
    page.click("button:has-text('Save and continue')")
    error = page.locator("#id_subscriber_address1_error")
    error.wait_for()
    assert "PO box" in error.inner_text()
    page.fill("#id_subscriber_address1", "14 Oak Ave")
    page.click("button:has-text('Save and continue')")

    page.wait_for_url("**/wizard/address/")
    page.fill("#id_address1", "14 Oak Ave")
    page.fill("#id_city", "Springfield")
    page.select_option("#id_state", "IL")
    page.fill("#id_zip_code", "62702")
    page.click("button:has-text('Save and continue')")

    page.wait_for_url("**/wizard/review/")
    assert "KIDPLAN7" in page.inner_text("#review-insurance")
    assert "$0.15" in page.inner_text("main")
    page.click("#save-and-verify")

    page.wait_for_url("**/billing/eligibility/checks/**")
    summary = page.locator("#eligibility-summary")
    assert "Coverage active" in summary.inner_text()
    assert "$15.00" in page.inner_text("[data-field=copay]")
    assert "20" in page.inner_text("[data-field=sessions_allowed]")
    assert "Yes" in page.inner_text("[data-field=prior_auth]")
    assert "In-network" in page.inner_text("[data-field=network]")
    assert "$250.00" in page.inner_text("[data-table=deductible]")
    assert "Not reported" in page.inner_text("[data-table=deductible]")
    check = EligibilityCheck.objects.get()
    assert "INS*N*19" in check.x12_270 and check.outcome == "active"

    # An unknown member, checked by hand: the cost shown first, the rejection in words.
    page.goto(f"{base}/billing/clients/{client.pk}/insurance/wizard/")
    page.wait_for_url("**/wizard/insurance/")
    page.fill("#id_member_id", "UNKNOWN42")
    page.click("button:has-text('Save and finish later')")
    page.goto(f"{base}/billing/eligibility/clients/{client.pk}/")
    assert "$0.15" in page.inner_text("#check-cost")
    page.click("#run-check")  # the policy on file still has KIDPLAN7: the draft is unsaved
    page.wait_for_url("**/billing/eligibility/checks/**")
    assert "Coverage active" in page.inner_text("#eligibility-summary")
    assert EligibilityCheck.objects.count() == 2
