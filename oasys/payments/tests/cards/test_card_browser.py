"""Headless Chromium: staff email a client a card link from the client's Card on file page;
the client opens it, ticks the autopay authorization, types 4242 4242 4242 4242 into the
Stripe stand-in's hosted Checkout form, and comes back to "Card saved"; staff then see
Visa •••• 4242 on the Card on file page. Screenshots go to /work/shots/ when it exists."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail

from oasys.clients.models import Client
from oasys.core.tests.browser import log_in

from .test_card_standin import standin_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots")


def _shot(page, name: str) -> None:
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"cards-{name}.png"), full_page=True)


def _login(page, base, email, password):
    log_in(page, base, email, password)


def test_staff_send_a_card_link_and_the_client_saves_a_card(live_server, browser, page, owner,
                                                           stripe_standin, settings):
    base = live_server.url
    settings.OASYS_BASE_URL = base
    standin_account(owner.practice, stripe_standin)
    client = Client.objects.create(practice=owner.practice, first_name="Maria",
                                   last_name="Lopez", email="maria@example.com",
                                   billing_type="cash")

    _login(page, base, "owner@test.example", "correct horse battery")
    page.goto(f"{base}/billing/clients/{client.pk}/")
    page.click("nav.subnav >> text=Card on file")
    page.wait_for_url(f"{base}/billing/clients/{client.pk}/card/")
    assert page.locator("[data-testid=no-card]").is_visible()
    page.click("button:has-text('Email the client a link to add a card')")
    page.locator(".flash").filter(has_text="Emailed maria@example.com").wait_for()
    [message] = mail.outbox
    link = re.search(r"http://\S+/pay/card/[\w-]+/", message.body).group(0)

    # The client, on their own device (no staff session).
    device = browser.new_context(viewport={"width": 900, "height": 900})
    phone = device.new_page()
    phone.set_default_timeout(15_000)
    phone.goto(link)
    assert "Hi Maria" in phone.content() and "Lopez" not in phone.content()
    phone.click("button:has-text('Continue to secure card form')")  # consent not ticked yet
    assert phone.url == link  # the browser's own check keeps the client here
    phone.check("input[name=consent]")
    _shot(phone, "public-link")
    phone.click("button:has-text('Continue to secure card form')")
    phone.wait_for_url(f"{stripe_standin.base_url}/**")
    phone.fill("#cardnumber", "4242 4242 4242 4242")
    phone.fill("#expiry", f"12 / {(dt.date.today().year + 3) % 100:02d}")
    phone.fill("#cvc", "123")
    phone.fill("#name", "Maria")
    phone.fill("#postal", "60614")
    _shot(phone, "standin-checkout")
    phone.click("button:has-text('Save card')")
    phone.wait_for_url(f"{link}done/**")
    saved = phone.locator("[data-testid=card-saved]")
    assert saved.inner_text() == "Card saved: Visa •••• 4242. You can close this page."
    _shot(phone, "public-done")
    device.close()

    page.reload()
    assert page.locator("[data-testid=card-masked]").inner_text() == "Visa •••• 4242"
    assert "Autopay consent given on" in page.content()
    assert "Card saved" in page.locator("[data-testid=card-requests]").inner_text()
    _shot(page, "staff-card-on-file")
