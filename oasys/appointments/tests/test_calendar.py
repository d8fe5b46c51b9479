"""The calendar's layout (appointments/calendar.py): which days a view shows, where each
session sits, and the time zone edges: DST days, midnight, month and year boundaries."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from oasys.appointments.calendar import (
    calendar_bounds,
    calendar_days,
    calendar_grid,
    calendar_step,
    day_hours,
    hour_exists,
)

NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def session(pk: int, start: dt.datetime, minutes: int) -> SimpleNamespace:
    """What the layout reads of a session (it never touches the database). The end is
    counted in UTC, as stored: in one zone Python adds by the wall clock."""
    end = (start.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(NY)
    return SimpleNamespace(pk=pk, start=start, end=end)


def at(day: dt.date, hour: int, minute: int = 0, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, fold=fold), tzinfo=NY)


def grid_of(view: str, anchor: dt.date, *sessions):
    return calendar_grid(view=view, anchor=anchor, today=dt.date(2026, 12, 3), zone=NY,
                         appointments=list(sessions))


def test_a_week_runs_sunday_to_saturday_and_steps_by_seven_days():
    days = calendar_days(view="week", anchor=dt.date(2026, 12, 3))  # a Thursday
    assert days[0] == dt.date(2026, 11, 29) and days[-1] == dt.date(2026, 12, 5)
    assert calendar_days(view="week", anchor=dt.date(2026, 11, 29))[0] == dt.date(2026, 11, 29)
    assert calendar_days(view="day", anchor=dt.date(2026, 12, 3)) == [dt.date(2026, 12, 3)]
    assert calendar_step(view="week", anchor=dt.date(2026, 12, 3), direction=1) == dt.date(
        2026, 12, 10)
    assert calendar_step(view="day", anchor=dt.date(2026, 12, 3), direction=-1) == dt.date(
        2026, 12, 2)


def test_a_week_across_the_new_year_spans_both_years():
    days = calendar_days(view="week", anchor=dt.date(2027, 1, 1))
    assert days[0] == dt.date(2026, 12, 27) and days[-1] == dt.date(2027, 1, 2)
    start, end = calendar_bounds(view="week", anchor=dt.date(2027, 1, 1), zone=NY)
    assert start == at(dt.date(2026, 12, 27), 0) and end == at(dt.date(2027, 1, 3), 0)
    new_years_eve = session(1, at(dt.date(2026, 12, 31), 10), 53)
    grid = grid_of("week", dt.date(2027, 1, 1), new_years_eve)
    assert [(b.day, b.column) for b in grid.blocks] == [(dt.date(2026, 12, 31), 6)]


def test_a_week_across_a_month_end():
    days = calendar_days(view="week", anchor=dt.date(2026, 3, 31))
    assert days[0] == dt.date(2026, 3, 29) and days[-1] == dt.date(2026, 4, 4)


def test_sessions_sit_in_rows_by_start_and_duration():
    day = dt.date(2026, 12, 3)
    grid = grid_of("day", day, session(1, at(day, 9), 53), session(2, at(day, 13, 30), 38))
    assert grid.first_hour == 8 and grid.last_hour == 19  # the usual working day
    nine, half_one = grid.blocks
    # row 2 is 8:00; a quarter hour a row: 9:00 is row 6, 53 minutes end inside row 9
    assert (nine.row_start, nine.row_end) == (6, 10)
    assert (half_one.row_start, half_one.row_end) == (24, 27)
    assert [h.label for h in grid.hours][:2] == ["8 AM", "9 AM"] and len(grid.hours) == 11
    assert all(s.start is not None for s in grid.days[0].slots)
    assert grid.days[0].slots[1].start_param == "2026-12-03T09:00"


def test_early_and_late_sessions_widen_the_hours_shown():
    day = dt.date(2026, 12, 3)
    grid = grid_of("day", day, session(1, at(day, 6, 30), 60), session(2, at(day, 20), 53))
    assert grid.first_hour == 6 and grid.last_hour == 21


def test_overlapping_sessions_share_the_column_side_by_side():
    day = dt.date(2026, 12, 3)
    grid = grid_of("day", day, session(1, at(day, 9), 53), session(2, at(day, 9, 30), 53),
                   session(3, at(day, 11), 53))
    lanes = {b.appointment.pk: (b.lane, b.lanes) for b in grid.blocks}
    assert lanes == {1: (0, 2), 2: (1, 2), 3: (0, 1)}


def test_a_session_crossing_midnight_shows_on_both_days():
    day = dt.date(2026, 12, 3)
    late = session(1, at(day, 23, 30), 90)
    grid = grid_of("week", day, late)
    first, second = grid.blocks
    assert (first.day, first.start_minute, first.end_minute) == (day, 23 * 60 + 30, 24 * 60)
    assert first.continues_after and not first.continues_before
    assert (second.day, second.start_minute, second.end_minute) == (
        dt.date(2026, 12, 4), 0, 60)
    assert second.continues_before and not second.continues_after
    assert grid.first_hour == 0 and grid.last_hour == 24  # the whole day is shown
    # on the day view it is only that day's piece
    assert [b.day for b in grid_of("day", dt.date(2026, 12, 4), late).blocks] == [
        dt.date(2026, 12, 4)]


def test_a_session_ending_exactly_at_midnight_does_not_spill_over():
    day = dt.date(2026, 12, 3)
    grid = grid_of("week", day, session(1, at(day, 23), 60))
    assert [(b.day, b.end_minute, b.continues_after) for b in grid.blocks] == [
        (day, 24 * 60, False)]


def test_the_week_before_a_range_shows_a_session_that_ran_into_it():
    sunday = dt.date(2026, 11, 29)
    saturday_night = session(1, at(dt.date(2026, 11, 28), 23), 120)
    grid = grid_of("week", sunday, saturday_night)
    assert [(b.day, b.start_minute, b.continues_before) for b in grid.blocks] == [
        (sunday, 0, True)]


def test_spring_forward_day_has_23_hours_and_no_2_am_slot():
    day = dt.date(2026, 3, 8)
    assert day_hours(day, NY) == 23
    assert not hour_exists(day, 2, NY) and hour_exists(day, 3, NY)
    # 1:30 EST to 3:30 EDT is one real hour, drawn from 1:30 to 3:30 by the wall clock
    grid = grid_of("week", day, session(1, at(day, 1, 30), 60))
    assert (grid.blocks[0].start_minute, grid.blocks[0].end_minute) == (90, 210)
    sunday = grid.days[0]
    assert sunday.date == day and sunday.hours == 23 and "23-hour" in sunday.note
    two = next(s for s in sunday.slots if s.hour == 2)
    assert two.start is None and two.start_param == ""
    assert all(s.start is not None for s in grid.days[1].slots)
    assert grid.days[1].note == ""


def test_fall_back_day_has_25_hours_and_its_repeated_hour_sits_side_by_side():
    day = dt.date(2026, 11, 1)
    assert day_hours(day, NY) == 25
    first_one = session(1, at(day, 1, 15, fold=0), 30)  # 1:15 EDT
    second_one = session(2, at(day, 1, 15, fold=1), 30)  # 1:15 EST, an hour later
    assert (second_one.start - first_one.start).total_seconds() == 0  # wall clock: same
    assert second_one.start.astimezone(UTC) - first_one.start.astimezone(UTC) == dt.timedelta(
        hours=1)
    grid = grid_of("day", day, first_one, second_one)
    assert grid.days[0].hours == 25 and "25-hour" in grid.days[0].note
    assert sorted((b.lane, b.lanes) for b in grid.blocks) == [(0, 2), (1, 2)]
    assert all(b.end_minute > b.start_minute for b in grid.blocks)


def test_a_session_across_the_fall_back_hour_keeps_a_positive_height():
    day = dt.date(2026, 11, 1)
    # 1:40 EDT for 40 minutes ends at 1:20 EST: earlier by the wall clock than it began
    grid = grid_of("day", day, session(1, at(day, 1, 40, fold=0), 40))
    block = grid.blocks[0]
    assert block.start_minute == 100 and block.end_minute == 140
    assert block.row_end > block.row_start


def test_today_is_marked():
    grid = grid_of("week", dt.date(2026, 12, 3))
    assert [d.is_today for d in grid.days] == [False] * 4 + [True, False, False]
    assert grid.blocks == []
