"""Headless Chromium under the real Content-Security-Policy: the pages that had inline
behaviour still work from app.js (select all, a confirm before voiding), the wizard's payer
search still fills its list, and no page logs a policy violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from oasys.clients.models import Client
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_work_under_the_policy_without_violations(live_server, page):
    seed_demo()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)
    page.click("nav[aria-label=Billing] a:has-text('Bill Sessions')")
    page.wait_for_url(f"{base}/billing/sessions/**")
    page.wait_for_selector("[data-testid=next-run]")  # htmx ran

    boxes = page.locator("input[name=session]")
    assert boxes.count() > 1
    page.check("#select-all")
    assert boxes.evaluate_all("els => els.every(e => e.checked)")
    page.uncheck("#select-all")
    assert boxes.evaluate_all("els => els.every(e => !e.checked)")

    client = Client.objects.filter(practice__slug="serenity").order_by("pk").first()
    page.goto(f"{base}/billing/clients/{client.pk}/insurance/wizard/insurance/")
    options = page.locator("#id_payer option")
    before = options.count()
    assert before > 1  # the practice's accepted payers
    page.fill("#payer_q", "zzzz-no-such-payer")  # htmx asks the server for the matches
    expect(options).not_to_have_count(before, timeout=10_000)
    assert violations == []
