"""Headless Chromium, the first ten minutes of a real practice: the operator runs
`oasys practice create`, the owner follows the printed link and sets a password, invites a
biller from the Team page; the biller reads the invitation from the SMTP sink, accepts,
turns on two-factor sign-in, logs in again with a code, and bills a session."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from oasys.billing.tests.factories import self_pay_session
from oasys.core.models import Practice, Role, User
from oasys.invoices.models import Invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OWNER_PASSWORD = "calm waters owner 2026"
BILLER_PASSWORD = "biller keeps books 77"


def _code(user: User, drift: int = 0) -> str:
    return f"{totp(TOTPDevice.objects.get(user=user, confirmed=True).bin_key, drift=drift):06d}"


def test_operator_to_owner_to_biller_who_bills_a_session(live_server, browser, mail_sink,
                                                         settings):
    settings.OASYS_BASE_URL = live_server.url
    out = StringIO()
    call_command("practice", "create", "--name", "Calm Waters Therapy", "--owner-email",
                 "ana@calmwaters.test", "--owner-name", "Ana Ruiz", "--time-zone",
                 "America/Chicago", stdout=out)
    link = re.search(r"http\S+/account/set-password/\S+/", out.getvalue()).group(0)
    practice = Practice.objects.get(slug="calm-waters-therapy")

    owner_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    owner = owner_ctx.new_page()
    owner.set_default_timeout(20_000)
    owner.goto(link)
    owner.fill("#id_new_password1", OWNER_PASSWORD)
    owner.fill("#id_new_password2", OWNER_PASSWORD)
    owner.click("main button:has-text('Set password')")
    owner.wait_for_selector("text=Your password is set. Welcome to Oasys.")

    owner.click("header a:has-text('Team')")
    owner.fill("#id_email", "bo@calmwaters.test")
    owner.select_option("#id_role", Role.BILLER)
    owner.click("main button:has-text('Send invitation')")
    owner.wait_for_selector("text=Invitation sent to bo@calmwaters.test.")
    owner_ctx.close()

    [summary] = mail_sink.messages(to="bo@calmwaters.test")
    text = mail_sink.message(summary["id"])["text"]
    invitation = re.search(r"http\S+/account/invitation/\S+/", text).group(0)

    biller_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    biller = biller_ctx.new_page()
    biller.set_default_timeout(20_000)
    biller.goto(invitation)
    assert "Join Calm Waters Therapy" in biller.inner_text("main")
    biller.fill("#id_first_name", "Bo")
    biller.fill("#id_last_name", "Lee")
    biller.fill("#id_new_password1", BILLER_PASSWORD)
    biller.fill("#id_new_password2", BILLER_PASSWORD)
    biller.click("main button:has-text('Accept and log in')")
    biller.wait_for_selector("text=Welcome to Calm Waters Therapy.")
    bo = User.objects.get(email="bo@calmwaters.test")
    assert (bo.practice, bo.role) == (practice, Role.BILLER)

    biller.click("header a:has-text('Two-factor')")
    biller.wait_for_selector("[data-testid=qr] svg")
    pending = TOTPDevice.objects.get(user=bo, confirmed=False)
    biller.fill("#code", f"{totp(pending.bin_key):06d}")
    biller.click("main button:has-text('Turn on')")
    assert biller.locator("[data-testid=recovery-codes] li").count() == 10
    biller.click("text=I have kept them")
    biller.click("header button:has-text('Log out')")

    biller.fill("#id_username", "bo@calmwaters.test")
    biller.fill("#id_password", BILLER_PASSWORD)
    biller.click("main button:has-text('Log in')")
    biller.wait_for_url(re.compile(r".*/account/two-factor/verify/.*"))
    biller.fill("#code", _code(bo, drift=1))
    biller.click("main button:has-text('Continue')")
    biller.wait_for_url(f"{live_server.url}/")  # the home page
    biller.click("nav[aria-label=Billing] a:has-text('Bill Sessions')")
    biller.wait_for_url(re.compile(r".*/billing/sessions/.*"))

    session = self_pay_session(practice, email="client@calmwaters.test")
    biller.reload()
    biller.check(f"input[name=session][value='{session.pk}']")
    biller.click("button:has-text('Bill selected sessions')")
    biller.wait_for_selector("text=invoice")
    invoice = Invoice.objects.get(practice=practice)
    assert invoice.client_id == session.client_id
    biller_ctx.close()
