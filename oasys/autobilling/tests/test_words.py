"""The phrases of the auto-billing screens: hours, counts (pluralised, zero kinds left out),
and when the next run is, seen from the practice's clock."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from oasys.autobilling.models import ItemKind
from oasys.autobilling.words import (
    counts_phrase,
    hour_choices,
    hour_label,
    kind_count,
    next_run_sentence,
    when_phrase,
)

NY = zoneinfo.ZoneInfo("America/New_York")
LA = zoneinfo.ZoneInfo("America/Los_Angeles")


@pytest.mark.parametrize("hour, label", [(0, "12 AM"), (1, "1 AM"), (11, "11 AM"),
                                         (12, "12 PM"), (13, "1 PM"), (23, "11 PM")])
def test_hour_labels(hour, label):
    assert hour_label(hour) == label


def test_hour_choices_are_every_hour_once():
    assert [h for h, _ in hour_choices()] == list(range(24))
    assert len({label for _, label in hour_choices()}) == 24


def test_kind_counts_are_pluralised():
    assert kind_count(ItemKind.CLAIM, 1) == "1 claim"
    assert kind_count(ItemKind.CLAIM, 4) == "4 claims"
    assert kind_count(ItemKind.CLIENT_SHARE, 1) == "1 client-responsibility invoice"
    assert kind_count(ItemKind.SECONDARY, 2) == "2 secondary claims"


def test_counts_phrase_names_kinds_in_order_and_leaves_out_zeros():
    counts = {ItemKind.INVOICE: 2, ItemKind.CLAIM: 4, ItemKind.CLIENT_SHARE: 1,
              ItemKind.SECONDARY: 0}
    assert counts_phrase(counts) == "4 claims, 2 invoices, 1 client-responsibility invoice"
    assert counts_phrase({ItemKind.SECONDARY: 1}) == "1 secondary claim"
    assert counts_phrase({k: 0 for k in ItemKind.values}) == "nothing is Ready yet"
    assert counts_phrase({}) == "nothing is Ready yet"


def _ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


@pytest.mark.parametrize("at, now, phrase", [
    (_ny(2026, 12, 2, 23), _ny(2026, 12, 2, 15), "tonight at 11:00 PM"),
    (_ny(2026, 12, 2, 9, 30), _ny(2026, 12, 2, 8), "today at 9:30 AM"),
    (_ny(2026, 12, 3, 23), _ny(2026, 12, 2, 23, 30), "tomorrow at 11:00 PM"),
    (_ny(2026, 12, 3, 0), _ny(2026, 12, 2, 0, 30), "tomorrow at 12:00 AM"),
    (_ny(2026, 12, 4, 23), _ny(2026, 12, 2, 12), "on Friday at 11:00 PM"),  # a Wednesday
    (_ny(2026, 12, 12, 23), _ny(2026, 12, 2, 12), "on Dec 12 at 11:00 PM"),
])
def test_when_phrase(at, now, phrase):
    assert when_phrase(at, now=now, zone=NY) == phrase


def test_when_is_seen_from_the_practice_clock_not_the_server():
    # 11 PM in Los Angeles is 2 AM the next day in New York (and 07:00 UTC)
    at = dt.datetime(2026, 12, 2, 23, tzinfo=LA).astimezone(dt.UTC)
    now = dt.datetime(2026, 12, 2, 15, tzinfo=LA).astimezone(dt.UTC)
    assert when_phrase(at, now=now, zone=LA) == "tonight at 11:00 PM"


def test_when_across_a_daylight_saving_change():
    # Nov 1, 2026: clocks go back in New York; the cutoff stays 11 PM local
    assert when_phrase(_ny(2026, 11, 1, 23), now=_ny(2026, 10, 31, 23, 30),
                       zone=NY) == "tomorrow at 11:00 PM"


def test_next_run_sentence():
    counts = {ItemKind.CLAIM: 4, ItemKind.INVOICE: 2, ItemKind.CLIENT_SHARE: 1}
    assert next_run_sentence(_ny(2026, 12, 2, 23), counts, now=_ny(2026, 12, 2, 15),
                             zone=NY) == ("Auto-billing runs tonight at 11:00 PM: 4 claims, "
                                          "2 invoices, 1 client-responsibility invoice.")
    assert next_run_sentence(_ny(2026, 12, 3, 23), {}, now=_ny(2026, 12, 2, 23, 30),
                             zone=NY) == ("Auto-billing runs tomorrow at 11:00 PM: "
                                          "nothing is Ready yet.")
