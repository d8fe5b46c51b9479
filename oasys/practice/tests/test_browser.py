"""Headless Chromium through Playwright: a therapist logs in, enters an invalid NPI on
Provider Information, sees the error beside the field, fixes it and saves."""

import pytest

from oasys.core.identifiers import npi_with_check_digit
from oasys.core.tests.browser import log_in
from oasys.practice.models import ProviderProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base, email, password):
    log_in(page, base, email, password)


def test_provider_information_npi_error_then_fix(live_server, page, owner):
    base = live_server.url
    _login(page, base, "owner@test.example", "correct horse battery")
    page.goto(f"{base}/billing/setup/provider/")
    page.check("input[name=provider_type][value=individual]")
    page.fill("#id_first_name", "Dana")
    page.fill("#id_last_name", "Reyes")
    page.fill("#id_npi", "1234567890")  # the check digit should be 3
    page.check("input[name=tax_id_type][value=ein]")
    page.fill("#id_tax_id", "36-4812957")
    page.fill("#id_taxonomy_code", "101YM0800X")
    page.fill("#id_contact_name", "Dana Reyes")
    page.fill("#id_contact_email", "dana@test.example")
    page.fill("#id_contact_phone", "(312) 555-0142")
    page.fill("#id_address1", "1450 W Lakeview Ave")
    page.fill("#id_city", "Chicago")
    page.select_option("#id_state", "IL")
    page.fill("#id_zip_code", "60614-2203")
    page.click("button:has-text('Save')")

    error = page.locator("#id_npi_error")
    error.wait_for()
    assert "check digit" in error.inner_text()
    assert not ProviderProfile.objects.filter(practice=owner.practice).exists()

    good = npi_with_check_digit("123456789")
    page.fill("#id_npi", good)
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{base}/billing/setup/**")
    assert page.locator("#id_npi_error").count() == 0
    profile = ProviderProfile.objects.get(practice=owner.practice)
    assert profile.npi == good
    assert profile.tax_id == "364812957"
    assert profile.taxonomy_code == "101YM0800X"
