"""When a practice's auto-billing runs: pure functions of the clock, the practice's time zone
and its cutoff hour (no database), so the rules are tested on their own.

- The run for local date D is due at D's cutoff: the hour `cutoff_hour` on D, where the
  practice is. On the day clocks spring forward the hour may not exist (02:00 in New York):
  the run is then due at the first moment after the gap (03:00). On the day they fall back
  the hour happens twice: the first one counts. Either way each local date has exactly one
  cutoff, so a 23- or 25-hour day runs once.
- `run_date_due` answers the one date to run now, or None: the latest date whose cutoff has
  passed, if that cutoff came after auto-billing was turned on. After downtime the missed
  cutoffs are not run one by one: the latest is run once, and it bills everything still
  Ready (a run takes every unbilled item, not one day's).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.UTC


def cutoff_at(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """The moment (UTC) of `day`'s cutoff in `zone`; see the module docstring for DST."""
    if not 0 <= hour <= 23:
        raise ValueError(f"cutoff hour {hour} is not 0..23")
    wall = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)  # fold=0: the first of two
    moment = wall.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        # A wall time inside the spring-forward gap: the gap's end, i.e. the first moment
        # that exists after it (Python maps the gap with the offset before it, which lands
        # after the gap; step back to its first instant).
        moment = _gap_end(wall, zone)
    return moment


def _gap_end(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first existing instant after the non-existent wall time `wall`."""
    before = dt.datetime.combine(wall.date(), dt.time(0), tzinfo=zone).astimezone(UTC)
    # Walk the day's hours in UTC to find where the wall clock jumps past `wall`.
    probe = before
    for _ in range(30 * 4):  # quarter hours over a day and a bit: zones shift by 15 min steps
        nxt = probe + dt.timedelta(minutes=15)
        if nxt.astimezone(zone).replace(tzinfo=None) > wall.replace(tzinfo=None):
            return nxt.replace(second=0, microsecond=0)
        probe = nxt
    return wall.astimezone(UTC)


def local_date(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    return moment.astimezone(zone).date()


def run_date_due(*, now: dt.datetime, zone: ZoneInfo, hour: int,
                 enabled_at: dt.datetime | None) -> dt.date | None:
    """The local date whose run is due at `now`, or None (see the module docstring). The
    caller runs it unless that date's run exists already."""
    if enabled_at is None:
        return None
    today = local_date(now, zone)
    for day in (today, today - dt.timedelta(days=1)):
        at = cutoff_at(day, hour, zone)
        if at <= now:
            return day if at > enabled_at else None
    return None  # pragma: no cover - yesterday's cutoff is always in the past


def next_run_at(*, now: dt.datetime, zone: ZoneInfo, hour: int,
                ran_dates: frozenset[dt.date] = frozenset()) -> dt.datetime:
    """The next cutoff at or after `now` whose date has not run yet (what Bill Sessions
    announces: "tonight at 11:00 PM")."""
    day = local_date(now, zone) - dt.timedelta(days=1)
    for _ in range(4):
        at = cutoff_at(day, hour, zone)
        if at >= now and day not in ran_dates:
            return at
        day += dt.timedelta(days=1)
    return cutoff_at(day, hour, zone)
