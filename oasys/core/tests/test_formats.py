"""The one format for money, dates and times, and the built-in filters that reach it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from oasys.core import formats


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0"), "$0.00"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("1234567.891"), "$1,234,567.89"),
        (Decimal("-200"), "\u2212$200.00"),
        ("-0.004", "$0.00"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_money_text(value, text):
    assert formats.money_text(value) == text


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        formats.money_text(1.5)


def test_dates_in_the_practice_zone():
    moment = datetime(2026, 12, 3, 3, 30, tzinfo=UTC)  # Dec 2, 10:30 PM in New York
    with timezone.override("America/New_York"):
        assert formats.date_text(moment) == "Dec 2, 2026"
        assert formats.datetime_text(moment) == "Dec 2, 2026, 10:30 PM"
    with timezone.override("UTC"):
        assert formats.datetime_text(moment) == "Dec 3, 2026, 3:30 AM"
    assert formats.date_text(date(2026, 1, 5)) == "Jan 5, 2026"
    assert formats.date_text(None) == "—"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("BLUE CROSS OF CALIFORNIA", "Blue Cross of California"),
        ("UHC", "UHC"),
        ("AETNA BETTER HEALTH-OHIO", "Aetna Better Health-Ohio"),
        ("Aetna", "Aetna"),
        ("UnitedHealthcare", "UnitedHealthcare"),
        ("", ""),
    ],
)
def test_payer_name_text(name, text):
    assert formats.payer_name_text(name) == text


def test_filters_are_built_in():
    out = Template("{{ a|money }} {{ d|day }} {{ n|payer_name }}").render(
        Context({"a": Decimal("-1500"), "d": date(2026, 12, 3), "n": "CIGNA HEALTH"})
    )
    assert out == "\u2212$1,500.00 Dec 3, 2026 Cigna Health"
