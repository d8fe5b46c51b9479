"""Session reads: appointment_calendar_list, the calendar's query."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from oasys.appointments.selectors import appointment_calendar_list

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=NY)


def test_it_answers_the_sessions_overlapping_the_range_earliest_first(
        ap_practice, ap_make, ap_free_clinician, ap_other_appointment):
    before_midnight = ap_make(start=at(11, 23, 30), end=at(12, 0, 45))  # runs into the 12th
    morning = ap_make(start=at(12, 9))
    afternoon = ap_make(start=at(12, 14), clinician=ap_free_clinician)
    ap_make(start=at(11, 22), end=at(12, 0, 0))  # ends exactly at midnight: not the 12th's
    ap_make(start=at(13, 0))  # the next day
    day = appointment_calendar_list(practice=ap_practice, start=at(12, 0), end=at(13, 0))
    assert list(day) == [before_midnight, morning, afternoon]
    assert list(appointment_calendar_list(practice=ap_practice, start=at(12, 0),
                                          end=at(13, 0), clinician_id=ap_free_clinician.pk)
                ) == [afternoon]
    # another practice's sessions are never among them, whatever the range
    wide = appointment_calendar_list(practice=ap_practice, start=at(1, 0),
                                     end=dt.datetime(2030, 1, 1, tzinfo=NY))
    assert ap_other_appointment not in list(wide)


def test_it_is_one_query_with_what_the_grid_shows(ap_practice, ap_make,
                                                  django_assert_num_queries):
    for hour in (9, 10, 11, 13, 14):
        ap_make(start=at(12, hour))
    with django_assert_num_queries(1):
        rows = list(appointment_calendar_list(practice=ap_practice, start=at(12, 0),
                                              end=at(13, 0)))
        names = [(a.client.last_name, a.clinician.last_name, a.service_type.cpt_code)
                 for a in rows]
    assert len(names) == 5

