"""What the auto-billing screens say: hour labels, the counts of a run in words, and when the
next run is ("tonight at 11:00 PM"). Pure functions of their arguments, so each phrase is
tested on its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from .models import ItemKind

# The order Bill Sessions names them in, with (one, many).
KIND_NOUNS: dict[str, tuple[str, str]] = {
    ItemKind.CLAIM: ("claim", "claims"),
    ItemKind.INVOICE: ("invoice", "invoices"),
    ItemKind.CLIENT_SHARE: ("client-responsibility invoice", "client-responsibility invoices"),
    ItemKind.SECONDARY: ("secondary claim", "secondary claims"),
}
NOTHING_READY = "nothing is Ready yet"


def hour_label(hour: int) -> str:
    """0 -> "12 AM" (midnight), 12 -> "12 PM" (noon), 23 -> "11 PM"."""
    return f"{(hour % 12) or 12} {'AM' if hour < 12 else 'PM'}"


def hour_choices() -> list[tuple[int, str]]:
    return [(h, hour_label(h)) for h in range(24)]


def clock_label(moment: dt.datetime) -> str:
    """"11:00 PM", "9:30 AM" (no leading zero)."""
    return moment.strftime("%I:%M %p").lstrip("0")


def kind_count(kind: str, n: int) -> str:
    """"1 claim", "4 claims", "1 client-responsibility invoice"."""
    one, many = KIND_NOUNS[kind]
    return f"{n} {one if n == 1 else many}"


def counts_phrase(counts: Mapping[str, int]) -> str:
    """The kinds with something in them, in Bill Sessions' order; `NOTHING_READY` if none."""
    parts = [kind_count(kind, counts.get(kind, 0)) for kind in KIND_NOUNS
             if counts.get(kind, 0) > 0]
    return ", ".join(parts) if parts else NOTHING_READY


def when_phrase(at: dt.datetime, *, now: dt.datetime, zone: ZoneInfo) -> str:
    """When `at` is, seen from `now` where the practice is: "tonight at 11:00 PM" (today from
    6 PM), "today at 9:00 AM", "tomorrow at 11:00 PM", "on Friday at 11:00 PM" (within the
    week), else "on Dec 9 at 11:00 PM"."""
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    clock = clock_label(local)
    days = (local.date() - today).days
    if days <= 0:
        return f"{'tonight' if local.hour >= 18 else 'today'} at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"on {local.strftime('%A')} at {clock}"
    return f"on {local.strftime('%b')} {local.day} at {clock}"


def next_run_sentence(at: dt.datetime, counts: Mapping[str, int], *, now: dt.datetime,
                      zone: ZoneInfo) -> str:
    """"Auto-billing runs tonight at 11:00 PM: 4 claims, 2 invoices." """
    return f"Auto-billing runs {when_phrase(at, now=now, zone=zone)}: {counts_phrase(counts)}."
