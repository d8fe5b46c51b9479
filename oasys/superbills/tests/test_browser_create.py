"""Headless Chromium: on the demo's solo practice a biller opens Manage Superbills, chooses
the last 90 days and a self-pay client, reviews the eligible sessions, unticks one, previews
the consolidated PDF in the browser, then creates it; the list shows it as Created with the
sessions left ticked.

Set OASYS_SHOTS_DIR to keep screenshots of the review and the list."""

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.appointments.models import AppointmentStatus
from oasys.clients.models import BillingType, Client
from oasys.core.formats import date_text
from oasys.core.models import AuditEvent, Practice
from oasys.core.tests.browser import log_in
from oasys.core.timezones import practice_today
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo
from oasys.superbills.models import Superbill, SuperbillKind, SuperbillStatus
from oasys.superbills.selectors import eligible_sessions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, tmp_path, name):
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or tmp_path)
    page.screenshot(path=str(folder / f"sb-{name}.png"), full_page=True)


def test_create_a_consolidated_superbill_from_the_screen(live_server, page, tmp_path):
    seed_demo()
    practice = Practice.objects.get(slug="serenity")
    today = practice_today(practice)
    start = today - dt.timedelta(days=90)
    # the seed gives the solo practice a self-pay client with completed sessions
    client = next(c for c in Client.objects.filter(practice=practice,
                                                   billing_type=BillingType.SELF_PAY)
                  .order_by("last_name")
                  if len(eligible_sessions(practice=practice, client_ids=[c.pk],
                                           date_from=start, date_to=today)) >= 3)
    eligible = eligible_sessions(practice=practice, client_ids=[client.pk], date_from=start,
                                 date_to=today)
    assert all(s.appointment.status == AppointmentStatus.COMPLETED for s in eligible)
    base = live_server.url
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)

    page.click("nav[aria-label=Billing] a:has-text('Manage Superbills')")
    page.wait_for_url(f"{base}/billing/superbills/")
    page.click("[data-testid=create-superbill]")
    page.wait_for_url(f"{base}/billing/superbills/new/")
    page.fill("#id_date_from", start.isoformat())
    page.fill("#id_date_to", today.isoformat())
    page.select_option("#id_clients", [str(client.pk)])
    page.click("[data-testid=review]")
    rows = page.locator("tr[data-session]")
    expect(rows).to_have_count(len(eligible))
    # the review shows date, CPT, diagnosis codes, amount and paid of each session
    first = eligible[0]
    row = page.locator(f"tr[data-session='{first.appointment.pk}']")
    expect(row).to_contain_text(date_text(first.service_date))
    expect(row).to_contain_text(first.cpt_code)
    expect(row).to_contain_text(f"${first.fee}")
    left_off = eligible[-1].appointment.pk
    page.locator(f"tr[data-session='{left_off}'] input[type=checkbox]").uncheck()
    expect(page.locator("input[name=kind][value=consolidated]")).to_be_checked()
    _shot(page, tmp_path, "review")

    with page.context.expect_event(
            "response", lambda r: r.url.endswith("/billing/superbills/new/preview/")) as seen:
        page.click("[data-testid=preview]")
    preview = seen.value
    assert preview.status == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert Superbill.objects.count() == 0  # a preview makes nothing
    assert AuditEvent.objects.filter(category="superbill", action="export",
                                     object_type="SuperbillPreview",
                                     client_id_ref=client.pk).exists()

    page.click("[data-testid=create-submit]")
    page.wait_for_url(f"{base}/billing/superbills/")
    sb = Superbill.objects.get()
    assert sb.kind == SuperbillKind.CONSOLIDATED and sb.client_id == client.pk
    assert sorted(sb.lines.values_list("appointment_id", flat=True)) == sorted(
        s.appointment.pk for s in eligible if s.appointment.pk != left_off)
    listed = page.locator(f"tr[data-superbill='{sb.number}']")
    expect(listed.locator("[data-testid=status]")).to_have_text("Created")
    expect(listed).to_contain_text(str(len(eligible) - 1))
    assert sb.status == SuperbillStatus.CREATED
    _shot(page, tmp_path, "list")
