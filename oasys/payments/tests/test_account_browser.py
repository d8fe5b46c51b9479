"""Headless Chromium: the owner clicks Connect Stripe Account, fills the stand-in's hosted
onboarding form (a real process, reached through the real adapter), comes back and sees
Active with its three checkmarks."""

from __future__ import annotations

import re

import pytest

from oasys.core.tests.browser import log_in
from oasys.payments.models import PaymentAccount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base, email, password):
    log_in(page, base, email, password)


def test_owner_connects_stripe_and_sees_active(live_server, page, owner, stripe_standin):
    base = live_server.url
    _login(page, base, "owner@test.example", "correct horse battery")
    page.goto(f"{base}/billing/setup/")
    page.click("#payments-card >> text=Connect Stripe Account")  # the overview's card
    page.wait_for_url(f"{base}/billing/setup/payments/")
    assert "Not connected" in page.inner_text("#account-status")
    page.click("button:has-text('Connect Stripe Account')")

    page.wait_for_url(re.compile(re.escape(stripe_standin.base_url) + r"/setup/s/"))
    page.fill("#business_name", "Serenity Test Counseling PLLC")
    page.fill("#tax_id", "36-4812957")
    page.click("button:has-text('Agree and submit')")

    page.wait_for_url(f"{base}/billing/setup/payments/")
    assert page.inner_text("#account-status") == "Active"
    checks = page.locator("ul.checks li.ok")
    assert checks.count() == 3
    # (each check also says ": yes" to screen readers, in a visually hidden span)
    assert [t.split("\n")[0].strip() for t in checks.all_inner_texts()] == [
        "✓ Accept Payments", "✓ Receive Payouts", "✓ Account Details"]
    assert "Your Stripe account is active" in page.inner_text("main")
    account = PaymentAccount.objects.get(practice=owner.practice)
    assert account.status == "active"
    assert account.business_name == "Serenity Test Counseling PLLC"
