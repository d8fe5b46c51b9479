"""Headless Chromium: the week view of a realistic week; a session scheduled from an empty
slot, one completed and one marked no-show from the calendar, each checked in the database;
the day view, and the phone width (390 px) opening on the day view."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from playwright.sync_api import expect

from oasys.appointments.calendar import calendar_days
from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.core.tests.browser import log_in
from oasys.core.timezones import practice_zone

from .calendar_world import OWNER_EMAIL, PASSWORD, calendar_week_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/work/shots"


def _shot(page, name: str) -> None:
    if os.environ.get("OASYS_SHOTS"):
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}", full_page=True)


def _log_in(page, base: str) -> None:
    log_in(page, base, OWNER_EMAIL, PASSWORD)


def test_week_view_schedule_complete_and_no_show(live_server, page, browser):
    week = calendar_week_build()
    page.set_default_timeout(45_000)  # the shared test machine can be slow to answer
    zone = practice_zone(week.practice)
    base = live_server.url
    _log_in(page, base)
    page.click("nav[aria-label=Billing] a:has-text('Calendar')")
    expect(page.locator("nav[aria-label=Billing] a[aria-current=page]")).to_have_text("Calendar")
    # the owner is a clinician: her own calendar first
    expect(page.locator("#cal-clinician option:checked")).to_have_text("Ana Rivera, PsyD")
    page.goto(f"{base}/sessions/calendar/?view=week&date={week.week_day.isoformat()}"
              f"&clinician={week.ana.pk}")
    grid = page.locator("[data-testid=calendar-grid]")
    expect(grid.locator(f"[data-appointment='{week.to_complete.pk}']")).to_contain_text(
        "Omar Haddad")
    expect(grid.locator(f"[data-appointment='{week.to_complete.pk}']")).to_contain_text(
        "Scheduled")
    _shot(page, "calendar-week.png")

    # Schedule from an empty slot: noon of a day the two scheduled ones did not take.
    busy = {week.to_complete.start.astimezone(zone).date(),
            week.to_no_show.start.astimezone(zone).date()}
    free_day = next(d for d in calendar_days(view="week", anchor=week.week_day)
                    if d not in busy)
    slot = f"{free_day.isoformat()}T12:00"
    page.click(f"a[data-slot='{slot}']")
    page.wait_for_url(re.compile(r".*/sessions/new/.*"))
    expect(page.locator("#id_start")).to_have_value(slot)
    expect(page.locator("#id_clinician option:checked")).to_have_text("Ana Rivera, PsyD")
    page.select_option("#id_client", label="Khan, Aisha")
    page.select_option("#id_service_type", label="Psychotherapy 38 min (90834)")
    page.click("button:has-text('Schedule session')")
    page.wait_for_url(re.compile(r".*/sessions/calendar/\?.*"))
    expect(page.locator(".flash")).to_contain_text("Session scheduled.")
    made = Appointment.objects.get(practice=week.practice, client=week.clients[2],
                                   start=dt.datetime.combine(free_day, dt.time(12),
                                                             tzinfo=zone))
    assert made.clinician == week.ana and made.duration_minutes == 38
    expect(grid.locator(f"[data-appointment='{made.pk}']")).to_contain_text("Aisha Khan")

    # Complete one: its card opens beside the calendar (htmx), the button comes back here.
    grid.locator(f"[data-appointment='{week.to_complete.pk}']").click()
    card = page.locator("[data-testid=calendar-card]")
    expect(card).to_contain_text("Omar Haddad")
    card.locator("[data-testid=card-complete]").click()
    expect(page.locator(".flash")).to_contain_text("Session completed")
    expect(grid.locator(f"[data-appointment='{week.to_complete.pk}']")).to_contain_text(
        "Completed")
    week.to_complete.refresh_from_db()
    assert week.to_complete.status == AppointmentStatus.COMPLETED

    # Mark another no-show.
    grid.locator(f"[data-appointment='{week.to_no_show.pk}']").click()
    expect(card).to_contain_text("Lucas Ferreira")
    card.locator("[data-testid=card-no-show]").click()
    expect(page.locator(".flash")).to_contain_text("Marked as a no-show.")
    expect(grid.locator(f"[data-appointment='{week.to_no_show.pk}']")).to_contain_text(
        "No-show")
    week.to_no_show.refresh_from_db()
    assert week.to_no_show.status == AppointmentStatus.NO_SHOW
    assert week.to_no_show.events.filter(to_status=AppointmentStatus.NO_SHOW).exists()

    # The day view of that day, everyone's sessions.
    page.click("[data-testid=view-day]")
    page.select_option("#cal-clinician", label="All clinicians")
    page.wait_for_url(re.compile(r".*clinician=(&|$).*"))
    expect(page.locator("[data-testid=cal-title]")).to_contain_text(
        week.week_day.strftime("%A"))
    grid.locator(f"[data-appointment='{week.to_complete.pk}']").click()
    expect(card).to_contain_text("Omar Haddad")
    _shot(page, "calendar-day.png")

    # A phone: the calendar opens on the day view and fits 390 px.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    small = phone.new_page()
    try:
        cookies = page.context.cookies()
        phone.add_cookies(cookies)
        small.goto(f"{base}/sessions/calendar/?date={week.week_day.isoformat()}"
                   f"&clinician={week.ana.pk}")
        small.wait_for_url(re.compile(r".*view=day.*"))
        expect(small.locator("[data-testid=calendar-grid]")).to_be_visible()
        _shot(small, "calendar-phone.png")
        width = small.locator("[data-testid=calendar-grid]").evaluate(
            "grid => grid.getBoundingClientRect().right")
        assert width <= 390, f"the day view ends at {width}px on a 390px phone"
    finally:
        phone.close()
