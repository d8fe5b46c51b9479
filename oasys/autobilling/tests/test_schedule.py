"""The schedule's rules as pure functions: each local date has one cutoff (a 23- or 25-hour
day included), a run is due once its cutoff has passed and came after auto-billing was turned
on, and after downtime only the latest missed cutoff is due."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from oasys.autobilling.schedule import cutoff_at, local_date, next_run_at, run_date_due

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
HONOLULU = ZoneInfo("Pacific/Honolulu")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # a half-hour DST shift
UTC = dt.UTC


def at(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def test_the_cutoff_is_the_hour_where_the_practice_is():
    assert cutoff_at(dt.date(2026, 12, 1), 23, NY) == at(UTC, 2026, 12, 2, 4)
    assert cutoff_at(dt.date(2026, 12, 1), 23, LA) == at(UTC, 2026, 12, 2, 7)
    assert cutoff_at(dt.date(2026, 7, 1), 23, NY) == at(UTC, 2026, 7, 2, 3)  # EDT
    assert cutoff_at(dt.date(2026, 12, 1), 0, HONOLULU) == at(UTC, 2026, 12, 1, 10)


def test_a_cutoff_in_the_spring_forward_gap_is_the_gaps_end():
    # 2026-03-08 in New York: 02:00 -> 03:00; a 2 AM cutoff runs at 3 AM EDT
    assert cutoff_at(dt.date(2026, 3, 8), 2, NY).astimezone(NY) == at(NY, 2026, 3, 8, 3)
    # Lord Howe moves 30 minutes: 02:00 -> 02:30
    assert cutoff_at(dt.date(2026, 10, 4), 2, LORD_HOWE).astimezone(LORD_HOWE).time() == \
        dt.time(2, 30)


def test_a_cutoff_in_the_fall_back_hour_is_the_first_one():
    # 2026-11-01 in New York: 01:00-02:00 happens twice; the first (EDT, UTC-4) counts
    assert cutoff_at(dt.date(2026, 11, 1), 1, NY) == at(UTC, 2026, 11, 1, 5)


def test_a_bad_hour_is_refused():
    with pytest.raises(ValueError):
        cutoff_at(dt.date(2026, 12, 1), 24, NY)


ON = at(UTC, 2026, 1, 1)  # turned on long ago


def test_due_once_the_cutoff_has_passed():
    before = at(NY, 2026, 12, 1, 22, 59)
    after = at(NY, 2026, 12, 1, 23, 0)
    assert run_date_due(now=before, zone=NY, hour=23, enabled_at=ON) == dt.date(2026, 11, 30)
    assert run_date_due(now=after, zone=NY, hour=23, enabled_at=ON) == dt.date(2026, 12, 1)
    # just after midnight, tonight's run is still yesterday's date
    assert run_date_due(now=at(NY, 2026, 12, 2, 0, 30), zone=NY, hour=23,
                        enabled_at=ON) == dt.date(2026, 12, 1)


@pytest.mark.parametrize("day", [dt.date(2026, 3, 8), dt.date(2026, 11, 1)])
@pytest.mark.parametrize("hour", [0, 1, 2, 3, 23])
def test_a_dst_day_has_exactly_one_due_date_per_tick(day, hour):
    """Ticking every 5 minutes over the 23- or 25-hour day and the next: each local date
    becomes due exactly once, in order."""
    start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), tzinfo=NY)
    seen: list[dt.date] = []
    now = start.astimezone(UTC)
    end = (start + dt.timedelta(days=3)).astimezone(UTC)
    while now < end:
        due = run_date_due(now=now, zone=NY, hour=hour, enabled_at=ON)
        if due is not None and (not seen or seen[-1] != due):
            seen.append(due)
        now += dt.timedelta(minutes=5)
    dates = [d for d in seen if d >= day - dt.timedelta(days=1)]
    assert dates == sorted(set(dates))
    assert day in dates
    assert len(dates) == len(set(dates))


def test_after_downtime_only_the_latest_cutoff_is_due():
    # down from Nov 28 to the morning of Dec 2: the Dec 1 run is due, once, not three runs
    now = at(NY, 2026, 12, 2, 9)
    assert run_date_due(now=now, zone=NY, hour=23, enabled_at=ON) == dt.date(2026, 12, 1)


def test_nothing_is_due_before_auto_billing_was_turned_on():
    turned_on = at(NY, 2026, 12, 1, 23, 30)  # after tonight's cutoff: tonight is not run
    assert run_date_due(now=at(NY, 2026, 12, 1, 23, 45), zone=NY, hour=23,
                        enabled_at=turned_on) is None
    assert run_date_due(now=at(NY, 2026, 12, 2, 23, 1), zone=NY, hour=23,
                        enabled_at=turned_on) == dt.date(2026, 12, 2)
    assert run_date_due(now=at(NY, 2026, 12, 2, 23, 1), zone=NY, hour=23,
                        enabled_at=None) is None


def test_next_run_skips_a_date_that_has_run():
    now = at(NY, 2026, 12, 1, 21)
    assert next_run_at(now=now, zone=NY, hour=23) == at(NY, 2026, 12, 1, 23)
    assert next_run_at(now=now, zone=NY, hour=23,
                       ran_dates=frozenset({dt.date(2026, 12, 1)})) == at(NY, 2026, 12, 2, 23)
    # after tonight's cutoff: tomorrow's
    assert next_run_at(now=at(NY, 2026, 12, 1, 23, 30), zone=NY, hour=23) == \
        at(NY, 2026, 12, 2, 23)
    assert local_date(at(UTC, 2026, 12, 2, 3), NY) == dt.date(2026, 12, 1)
