"""The calendar screens: /sessions/calendar/ (week and day views, the clinician picker, bad
parameters), a session's card and its actions coming back to the calendar, scheduling from
a slot, tenancy, the read audit row, and a query count that does not grow with sessions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.appointments.services import appointment_cancel
from oasys.core.models import AuditAction, AuditEvent

from .conftest import past, web_for

pytestmark = pytest.mark.django_db
URL = reverse("appointments:calendar")
NY = ZoneInfo("America/New_York")
THURSDAY = dt.date(2026, 3, 12)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY)


def week_of(web, **params):
    return web.get(URL, {"view": "week", "date": THURSDAY.isoformat(), **params})


def shown_ids(resp) -> set[int]:
    return {b.appointment.pk for b in resp.context["grid"].blocks}


def test_week_view_places_the_sessions_with_name_service_and_status(ap_owner, ap_make,
                                                                    ap_ctx):
    seen = ap_make(start=at(THURSDAY, 14))
    cancelled = ap_make(start=at(THURSDAY - dt.timedelta(days=2), 9))
    appointment_cancel(appointment=cancelled, ctx=ap_ctx)
    ap_make(start=at(THURSDAY + dt.timedelta(days=7), 9))  # next week: not shown
    resp = week_of(web_for(ap_owner), clinician="")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert shown_ids(resp) == {seen.pk, cancelled.pk}
    assert "Mar 8, 2026 – Mar 14, 2026" in html  # Sunday to Saturday, the day filter
    assert "Maria Lopez" in html and "90837 · Psychotherapy 53 min" in html
    assert 'class="cal-status">Scheduled<' in html and 'class="cal-status">Cancelled<' in html
    block = next(b for b in resp.context["grid"].blocks if b.appointment.pk == seen.pk)
    assert block.column == 6  # Thursday: the fifth day after the hours column
    assert f'data-slot="{THURSDAY.isoformat()}T10:00"' in html
    assert "Clocks go forward" in html  # Mar 8, 2026: the US spring-forward Sunday


def test_the_reads_are_audited_naming_the_clients_shown(ap_owner, ap_make, ap_client):
    ap_make(start=at(THURSDAY, 14))
    since = AuditEvent.objects.count()
    week_of(web_for(ap_owner), clinician="")
    rows = AuditEvent.objects.order_by("pk")[since:]
    reads = [r for r in rows if r.action == AuditAction.READ]
    assert len(reads) == 1 and reads[0].category == "session"
    assert reads[0].detail == {"count": 1, "client_ids": [ap_client.pk]}
    assert "Maria" not in str(reads[0].detail)


def test_day_view_and_navigation_keep_the_clinician(ap_owner, ap_make, ap_clinician):
    thursday = ap_make(start=at(THURSDAY, 14))
    ap_make(start=at(THURSDAY + dt.timedelta(days=1), 14))
    resp = web_for(ap_owner).get(URL, {"view": "day", "date": THURSDAY.isoformat(),
                                       "clinician": ap_clinician.pk})
    assert shown_ids(resp) == {thursday.pk}
    assert "Thursday, Mar 12, 2026" in resp.content.decode()
    ctx = resp.context
    assert ctx["prev_url"] == f"{URL}?view=day&date=2026-03-11&clinician={ap_clinician.pk}"
    assert ctx["next_url"] == f"{URL}?view=day&date=2026-03-13&clinician={ap_clinician.pk}"
    assert ctx["week_url"] == f"{URL}?view=week&date=2026-03-12&clinician={ap_clinician.pk}"
    week = week_of(web_for(ap_owner))
    assert week.context["next_url"].endswith("date=2026-03-19&clinician=")


def test_without_a_date_it_is_this_week_in_the_practice_zone(ap_owner):
    resp = web_for(ap_owner).get(URL)
    assert resp.status_code == 200 and resp.context["view"] == "week"
    assert any(d.is_today for d in resp.context["grid"].days)
    assert resp.context["problems"] == []


def test_a_clinician_sees_their_own_calendar_first(ap_clinician_user, ap_make, ap_clinician,
                                                   ap_free_clinician):
    own = ap_make(start=at(THURSDAY, 9))
    other = ap_make(start=at(THURSDAY, 11), clinician=ap_free_clinician)
    web = web_for(ap_clinician_user)
    resp = week_of(web)
    assert resp.context["clinician"] == ap_clinician and shown_ids(resp) == {own.pk}
    assert shown_ids(week_of(web, clinician="")) == {own.pk, other.pk}  # all, when asked
    assert shown_ids(week_of(web, clinician=ap_free_clinician.pk)) == {other.pk}


def test_an_owner_who_is_not_a_clinician_sees_everyone(ap_biller, ap_make, ap_free_clinician):
    a = ap_make(start=at(THURSDAY, 9))
    b = ap_make(start=at(THURSDAY, 11), clinician=ap_free_clinician)
    resp = week_of(web_for(ap_biller))
    assert resp.context["clinician"] is None and shown_ids(resp) == {a.pk, b.pk}
    assert "Casey Trainee" in resp.content.decode()  # everyone's: each says whose


def test_another_practices_clinician_is_refused_with_a_message(ap_owner, ap_make,
                                                               ap_other_appointment):
    mine = ap_make(start=at(THURSDAY, 9))
    resp = week_of(web_for(ap_owner), clinician=ap_other_appointment.clinician_id)
    assert resp.status_code == 200
    assert "Choose one of your practice&#x27;s clinicians." in resp.content.decode()
    assert ap_other_appointment.pk not in shown_ids(resp) and mine.pk in shown_ids(resp)
    assert "Zed" not in resp.content.decode()


@pytest.mark.parametrize("params, message", [
    ({"date": "2026-13-45"}, "Enter the date as YYYY-MM-DD"),
    ({"date": "yesterday"}, "Enter the date as YYYY-MM-DD"),
    ({"date": "9999-12-31"}, "Choose a date between 2000 and 2100."),
    ({"view": "month"}, "Select a valid choice."),
    ({"clinician": "abc"}, "Choose one of your practice"),
])
def test_bad_parameters_get_a_clear_message_and_the_default(ap_owner, params, message):
    resp = web_for(ap_owner).get(URL, params)
    assert resp.status_code == 200
    assert message in resp.content.decode() and resp.context["problems"]
    assert any(d.is_today for d in resp.context["grid"].days)


def test_the_query_count_does_not_grow_with_the_sessions(ap_owner, ap_make,
                                                        ap_free_clinician):
    web = web_for(ap_owner)
    ap_make(start=at(THURSDAY, 9))
    week_of(web, clinician="")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        week_of(web, clinician="")
    sunday = THURSDAY - dt.timedelta(days=4)
    for day in range(7):
        for hour in (9, 11, 13, 15, 17):
            ap_make(start=at(sunday + dt.timedelta(days=day), hour),
                    **({"clinician": ap_free_clinician} if hour > 12 else {}))
    with CaptureQueriesContext(connection) as many:
        resp = week_of(web, clinician="")
    assert len(shown_ids(resp)) == 36
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_card_offers_complete_and_no_show_once_started(ap_owner, ap_make):
    started = ap_make(start=past(2))
    later = ap_make(start=past(-48))
    web = web_for(ap_owner)
    card = web.get(reverse("appointments:calendar_card", args=[started.pk]),
                   {"next": f"{URL}?view=day&date=2026-03-12&clinician="})
    html = card.content.decode()
    assert card.status_code == 200 and "Maria Lopez" in html
    assert 'data-testid="card-complete"' in html and 'data-testid="card-no-show"' in html
    assert 'value="/sessions/calendar/?view=day&amp;date=2026-03-12&amp;clinician="' in html
    html = web.get(reverse("appointments:calendar_card", args=[later.pk])).content.decode()
    assert 'data-testid="card-complete"' not in html and "once it has started" in html


def test_the_card_of_another_practice_is_404(ap_owner, ap_other_appointment):
    resp = web_for(ap_owner).get(reverse("appointments:calendar_card",
                                         args=[ap_other_appointment.pk]))
    assert resp.status_code == 404


def test_complete_and_no_show_from_the_calendar_come_back_to_it(ap_owner, ap_make):
    one, two = ap_make(start=past(3)), ap_make(start=past(2))
    web = web_for(ap_owner)
    back = f"{URL}?view=week&date=2026-03-12&clinician="
    resp = web.post(reverse("appointments:complete", args=[one.pk]), {"next": back})
    assert resp.status_code == 302 and resp["Location"] == back
    resp = web.post(reverse("appointments:no_show", args=[two.pk]), {"next": back})
    assert resp["Location"] == back
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
    assert one.events.filter(to_status=AppointmentStatus.COMPLETED).count() == 1
    assert AuditEvent.objects.filter(object_type="Appointment", object_id=str(two.pk),
                                     action=AuditAction.UPDATE).exists()


def test_next_never_leads_off_the_site(ap_owner, ap_make):
    one = ap_make(start=past(3))
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        resp = web_for(ap_owner).post(reverse("appointments:complete", args=[one.pk]),
                                      {"next": evil})
        assert resp["Location"] == reverse("appointments:detail", args=[one.pk])


def test_a_slot_opens_the_form_prefilled_and_saving_returns_to_the_calendar(
        ap_owner, ap_client, ap_clinician, ap_service_type):
    web = web_for(ap_owner)
    back = f"{URL}?view=week&date=2026-03-12&clinician={ap_clinician.pk}"
    form = web.get(reverse("appointments:new"), {"start": "2026-03-12T14:00",
                                                 "clinician": ap_clinician.pk, "next": back})
    html = form.content.decode()
    assert 'value="2026-03-12T14:00"' in html
    assert f'value="{ap_clinician.pk}" selected' in html
    assert 'name="next" value="/sessions/calendar/?view=week&amp;date=2026-03-12' in html
    resp = web.post(reverse("appointments:new") + "?" + f"next={back}".replace("&", "%26"), {
        "client": ap_client.pk, "clinician": ap_clinician.pk,
        "service_type": ap_service_type.pk, "start": "2026-03-12T14:00", "next": back})
    assert resp.status_code == 302 and resp["Location"] == back
    made = Appointment.objects.get()
    assert made.start == at(THURSDAY, 14) and made.clinician == ap_clinician
    # a start the slot links never write is ignored, not an error
    assert web.get(reverse("appointments:new"), {"start": "garbage"}).status_code == 200


def test_the_calendar_tab_is_the_current_one(ap_owner):
    tabs = web_for(ap_owner).get(URL).context["billing_tabs"]
    current = [t["label"] for t in tabs if t["active"]]
    assert current == ["Calendar"]
    tabs = web_for(ap_owner).get(reverse("appointments:list")).context["billing_tabs"]
    assert [t["label"] for t in tabs if t["active"]] == ["Sessions"]


def test_the_spring_forward_night_shows_its_missing_hour(ap_owner, ap_make):
    sunday = dt.date(2026, 3, 8)
    night = ap_make(start=at(sunday, 1, 30))  # 1:30 EST, 53 minutes: ends 3:23 EDT
    resp = web_for(ap_owner).get(URL, {"view": "day", "date": sunday.isoformat(),
                                       "clinician": ""})
    html = resp.content.decode()
    assert shown_ids(resp) == {night.pk}
    assert "No 2 AM: clocks go forward" in html and "a 23-hour day" in html
    assert 'data-slot="2026-03-08T02:00"' not in html
    assert 'data-slot="2026-03-08T03:00"' in html
    assert "1:30–3:23 AM" in html
