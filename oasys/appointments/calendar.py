"""The calendar's grid: which days a week or day view shows and where each session sits.

Pure layout, no queries: the view reads the sessions (selectors.appointment_calendar_list)
and hands them here. Rows are the practice's wall-clock hours, split in quarter hours, the
same for every column so a week lines up; each session is placed by its local start and end.

Time zone edges, decided here once:
- A day is midnight to midnight where the practice is. On the spring-forward day the skipped
  hour's row stays (so the week lines up) but is marked as not existing and offers no slot;
  on the fall-back day the repeated hour's sessions are placed side by side like any
  overlap. The day's header says it has 23 or 25 hours.
- A session that crosses midnight is drawn on both days, each piece saying it continues.
- Comparisons and lengths are made in UTC: Python compares two datetimes of the same zone
  by their wall clocks, which is wrong across a DST change.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .models import Appointment

UTC = dt.UTC
WEEK = "week"
DAY = "day"
VIEWS = (WEEK, DAY)
SLOT_MINUTES = 15  # one grid row
DEFAULT_FIRST_HOUR = 8  # the rows shown when no session lies outside them
DEFAULT_LAST_HOUR = 19  # exclusive: the last row shown is 6 PM
MIN_ROWS = 2  # a very short session still has room for its name


@dataclass
class Slot:
    """One empty hour of one day: a link to schedule a session then (if the hour exists)."""

    hour: int
    start: dt.datetime | None  # None: the hour is skipped by the clocks going forward
    row: int
    column: int
    label: str = ""

    @property
    def start_param(self) -> str:
        """The wall-clock start as the new-session link writes it (2026-12-03T14:00)."""
        return self.start.strftime("%Y-%m-%dT%H:%M") if self.start else ""


@dataclass
class Day:
    date: dt.date
    column: int
    is_today: bool
    hours: int  # 23, 24 or 25
    slots: list[Slot] = field(default_factory=list)
    url: str = ""  # the day view of this date (set by the view, which knows the filters)

    @property
    def note(self) -> str:
        if self.hours < 24:
            return f"Clocks go forward: a {self.hours}-hour day"
        if self.hours > 24:
            return f"Clocks go back: a {self.hours}-hour day"
        return ""


@dataclass
class Block:
    """One session's piece on one day (two pieces when it crosses midnight)."""

    appointment: Appointment
    day: dt.date
    column: int
    start_minute: int  # wall-clock minutes after the day's midnight
    end_minute: int
    continues_before: bool = False
    continues_after: bool = False
    lane: int = 0
    lanes: int = 1
    row_start: int = 0
    row_end: int = 0


@dataclass
class Hour:
    hour: int
    row: int
    label: str


@dataclass
class Grid:
    view: str
    days: list[Day]
    blocks: list[Block]
    hours: list[Hour]
    first_hour: int
    last_hour: int  # exclusive
    start: dt.datetime  # the range shown, aware, [start, end)
    end: dt.datetime

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * (60 // SLOT_MINUTES)


def calendar_days(*, view: str, anchor: dt.date) -> list[dt.date]:
    """The dates a view shows: the anchor alone, or its week from Sunday (US calendars)."""
    if view == DAY:
        return [anchor]
    sunday = anchor - dt.timedelta(days=(anchor.weekday() + 1) % 7)
    return [sunday + dt.timedelta(days=i) for i in range(7)]


def calendar_step(*, view: str, anchor: dt.date, direction: int) -> dt.date:
    """The anchor of the previous (-1) or next (+1) page."""
    return anchor + dt.timedelta(days=direction * (1 if view == DAY else 7))


def midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def calendar_bounds(*, view: str, anchor: dt.date, zone: ZoneInfo) -> tuple[dt.datetime,
                                                                              dt.datetime]:
    """[start, end) of what the view shows: its first day's midnight to after its last."""
    dates = calendar_days(view=view, anchor=anchor)
    return midnight(dates[0], zone), midnight(dates[-1] + dt.timedelta(days=1), zone)


def day_hours(day: dt.date, zone: ZoneInfo) -> int:
    """How long the day lasts where the practice is: 23, 24 or 25 hours."""
    length = midnight(day + dt.timedelta(days=1), zone).astimezone(UTC) - midnight(
        day, zone).astimezone(UTC)
    return round(length.total_seconds() / 3600)


def hour_exists(day: dt.date, hour: int, zone: ZoneInfo) -> bool:
    """False for the wall-clock hour the clocks skip when they go forward."""
    wall = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
    back = wall.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == wall.replace(tzinfo=None)


def _pieces(appointment: Appointment, days: list[dt.date], zone: ZoneInfo) -> list[Block]:
    start_utc, end_utc = appointment.start.astimezone(UTC), appointment.end.astimezone(UTC)
    local_start, local_end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    pieces = []
    for column, day in enumerate(days, start=2):
        day_start = midnight(day, zone).astimezone(UTC)
        day_end = midnight(day + dt.timedelta(days=1), zone).astimezone(UTC)
        if not (start_utc < day_end and end_utc > day_start):
            continue
        before = start_utc < day_start
        after = end_utc > day_end
        start_minute = 0 if before else local_start.hour * 60 + local_start.minute
        end_minute = 24 * 60 if after or local_end.date() > day else (
            local_end.hour * 60 + local_end.minute)
        if end_minute <= start_minute:
            # Only on the fall-back day: it ends, by the wall clock, before it started.
            real = int((min(end_utc, day_end) - max(start_utc, day_start)).total_seconds() // 60)
            end_minute = min(24 * 60, start_minute + max(real, SLOT_MINUTES))
        pieces.append(Block(appointment=appointment, day=day, column=column,
                            start_minute=start_minute, end_minute=end_minute,
                            continues_before=before, continues_after=after))
    return pieces


def _lanes(blocks: list[Block]) -> None:
    """Overlapping sessions of a day share its column side by side: each group of
    (transitively) overlapping pieces gets as many lanes as it needs at once."""
    by_day: dict[int, list[Block]] = {}
    for block in blocks:
        by_day.setdefault(block.column, []).append(block)
    for day_blocks in by_day.values():
        day_blocks.sort(key=lambda b: (b.start_minute, -b.end_minute, b.appointment.pk))
        group: list[Block] = []
        lane_ends: list[int] = []
        group_end = -1
        for block in day_blocks:
            if group and block.start_minute >= group_end:
                for member in group:
                    member.lanes = len(lane_ends)
                group, lane_ends = [], []
            free = next((i for i, end in enumerate(lane_ends) if end <= block.start_minute),
                        None)
            if free is None:
                lane_ends.append(block.end_minute)
                block.lane = len(lane_ends) - 1
            else:
                lane_ends[free] = block.end_minute
                block.lane = free
            group.append(block)
            group_end = max(group_end, block.end_minute)
        for member in group:
            member.lanes = len(lane_ends)


def _hour_label(hour: int) -> str:
    if hour == 0:
        return "12 AM"
    if hour == 12:
        return "12 PM"
    return f"{hour % 12} {'AM' if hour < 12 else 'PM'}"


def calendar_grid(
    *,
    view: str,
    anchor: dt.date,
    today: dt.date,
    zone: ZoneInfo,
    appointments: Iterable[Appointment],
) -> Grid:
    """The grid of `view` around `anchor` with `appointments` (those overlapping its days)
    placed in it. The hours shown are 8 AM to 7 PM, widened to hold every session."""
    dates = calendar_days(view=view, anchor=anchor)
    blocks: list[Block] = []
    for appointment in appointments:
        blocks.extend(_pieces(appointment, dates, zone))
    first = min([DEFAULT_FIRST_HOUR, *(b.start_minute // 60 for b in blocks)])
    last = max([DEFAULT_LAST_HOUR, *(math.ceil(b.end_minute / 60) for b in blocks)])
    per_hour = 60 // SLOT_MINUTES

    def row_of(minute: int) -> int:  # grid line; line 1 is above the day headers
        return 2 + (minute - first * 60) // SLOT_MINUTES

    for block in blocks:
        block.row_start = row_of(block.start_minute)
        block.row_end = max(block.row_start + MIN_ROWS,
                            2 + math.ceil((block.end_minute - first * 60) / SLOT_MINUTES))
    _lanes(blocks)
    days = []
    for column, date in enumerate(dates, start=2):
        day = Day(date=date, column=column, is_today=date == today, hours=day_hours(date, zone))
        for hour in range(first, last):
            exists = hour_exists(date, hour, zone)
            day.slots.append(Slot(
                hour=hour,
                start=dt.datetime.combine(date, dt.time(hour), tzinfo=zone) if exists else None,
                row=2 + (hour - first) * per_hour,
                column=column,
                label=_hour_label(hour),
            ))
        days.append(day)
    hours = [Hour(hour=h, row=2 + (h - first) * per_hour, label=_hour_label(h))
             for h in range(first, last)]
    start, end = calendar_bounds(view=view, anchor=anchor, zone=zone)
    return Grid(view=view, days=days, blocks=blocks, hours=hours, first_hour=first,
                last_hour=last, start=start, end=end)
