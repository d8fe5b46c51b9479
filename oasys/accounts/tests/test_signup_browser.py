"""Headless Chromium, sign-up start to finish: from the login page's link, sign a practice
up, fail to log in before confirming, read the confirmation email from the SMTP sink, open
its link, confirm, and land on the setup checklist; a step done ticks itself off."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from oasys.billing.tests.factories import make_service_type
from oasys.core.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "lighthouse keeper 2026"
# set OASYS_SHOTS=/some/dir to keep screenshots of the pages (the README's pictures)
SHOTS = os.environ.get("OASYS_SHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"signup-{name}.png"), full_page=True)


def test_sign_up_confirm_by_email_and_see_the_checklist(live_server, page, mail_sink,
                                                         settings):
    settings.OASYS_SIGNUP = "open"
    settings.OASYS_BASE_URL = live_server.url
    cache.clear()
    base = live_server.url
    page.goto(f"{base}/login/")
    page.click("[data-testid=signup-link]")
    expect(page).to_have_url(f"{base}/account/signup/")

    page.fill("#id_practice_name", "Harbor Light Counseling")
    page.fill("#id_first_name", "Mia")
    page.fill("#id_last_name", "Chen")
    page.fill("#id_email", "mia@harborlight.test")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    _shot(page, "form")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "short")
    page.click("main button:has-text('Sign up')")
    expect(page.locator("#id_password1_error")).to_contain_text("too short")
    assert not User.objects.filter(email="mia@harborlight.test").exists()
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button:has-text('Sign up')")
    expect(page.locator("main h1")).to_have_text("Check your email")

    # not yet: the address is not confirmed
    page.goto(f"{base}/login/")
    page.fill("#id_username", "mia@harborlight.test")
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    expect(page.locator("main .error")).to_be_visible()
    expect(page).to_have_url(re.compile(r".*/login/$"))

    [summary] = mail_sink.messages(to="mia@harborlight.test")
    text = mail_sink.message(summary["id"])["text"]
    link = re.search(r"http\S+/account/verify/\S+/", text).group(0)
    page.goto(link)
    page.click("main button:has-text('Confirm and log in')")
    expect(page).to_have_url(f"{base}/account/start/")
    expect(page.locator(".flash")).to_contain_text("Your email is confirmed")
    checklist = page.locator("[data-testid=setup-checklist]")
    expect(checklist.locator("li")).to_have_count(5)
    expect(page.locator("[data-testid=checklist-progress]")).to_have_text("0 of 5 done")
    expect(page.locator("[data-testid=check-service_types]")).to_have_attribute("data-done",
                                                                               "no")

    make_service_type(User.objects.get(email="mia@harborlight.test").practice)
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/account/start/")
    expect(page.locator("[data-testid=check-service_types]")).to_have_attribute("data-done",
                                                                               "yes")
    expect(page.locator("[data-testid=checklist-progress]")).to_have_text("1 of 5 done")
    _shot(page, "checklist")

    page.click("[data-testid=check-provider] a")
    expect(page).to_have_url(f"{base}/billing/setup/provider/")
    page.goto(f"{base}/account/start/")
    page.click("main button:has-text('Hide this checklist')")
    expect(page).to_have_url(f"{base}/")  # put away: the home page from now on
    expect(page.locator("h1")).to_have_text("Today")
    page.goto(f"{base}/account/start/")
    expect(page).to_have_url(f"{base}/")
