"""The operator console in Chromium: log in, give the code, see the practices, suspend one.
With OASYS_SHOTS_DIR set, it keeps screenshots there (operator-console.png,
operator-practice.png) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from oasys.billing.tests.factories import make_client
from oasys.clearinghouse.models import EdiFile
from oasys.core.models import Practice, Role
from oasys.core.services import practice_create, user_create
from oasys.eligibility.models import InsuranceCard

from .conftest import OPERATOR_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("OASYS_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"operator-{name}.png"), full_page=True)


def test_operator_logs_in_with_a_code_and_suspends_a_practice(live_server, page,
                                                              operator_2fa):
    calm = practice_create(name="Calm Waters Therapy", slug="calm-waters")
    north = practice_create(name="North Shore Counseling", slug="north-shore")
    practice_create(name="Quiet Harbor Psychology", slug="quiet-harbor")
    for i, p in enumerate((calm, calm, north)):
        user_create(practice=p, email=f"u{i}@{p.slug}.test", password="x" * 12,
                    role=Role.OWNER if i != 1 else Role.BILLER)
    client = make_client(calm, first_name="Secret", last_name="Clientname")
    card = InsuranceCard(practice=calm, client=client, side="front",
                         content_type="image/png", size=2048)
    card.image.save("c.png", ContentFile(b"\x89PNG" + b"0" * 2044), save=True)
    EdiFile.objects.create(practice=calm, direction="outbound", set_id="837",
                           raw="ISA*" + "X" * 5000, sha256="a" * 64, status="submitted")

    page.goto(f"{live_server.url}/operator/")
    page.fill("#id_username", operator_2fa.email)
    page.fill("#id_password", OPERATOR_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Two-factor sign-in")
    device = TOTPDevice.objects.get(user=operator_2fa)
    page.fill("#code", f"{totp(device.bin_key):06d}")
    page.click("form:has(#code) button[type=submit]")
    table = page.get_by_test_id("practices")
    expect(table).to_contain_text("Calm Waters Therapy")
    expect(table).to_contain_text("North Shore Counseling")
    # what is on disk: the EDI file, and the card photo as its encrypted (Fernet) token
    expect(table.locator("tr", has_text="Calm Waters")).to_contain_text("7.6\u00a0KB")
    expect(page.locator("body")).not_to_contain_text("Clientname")
    _shot(page, "console")

    page.click("text=North Shore Counseling")
    page.on("dialog", lambda d: d.accept())
    page.click("button:has-text('Suspend')")
    expect(page.locator(".flash")).to_contain_text("is suspended")
    _shot(page, "practice")
    assert Practice.objects.get(pk=north.pk).is_suspended
