"""One way to write dates, times and money on every page, PDF, email and CSV.

The practice's locale is US English (every practice bills US payers), so there is one
format of each kind; templates reach them as the built-in filters `money`, `day` and
`moment` (oasys/core/templatetags/oasys_format.py) and Python code calls these functions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import dateformat, timezone

from .money import dollars_text

MINUS = "\u2212"  # a real minus sign: a hyphen reads as a dash next to "$"
DATE_FORMAT = "M j, Y"  # Dec 3, 2026
DATETIME_FORMAT = "M j, Y, g:i A"  # Dec 3, 2026, 9:05 AM
EMPTY = "—"


def money_text(value: Decimal | int | str | None, *, empty: str = EMPTY) -> str:
    """"$1,234.56"; a negative amount "−$200.00"; `empty` when there is no amount."""
    if value is None or value == "":
        return empty
    return dollars_text(value)


def date_text(value: date | datetime | None, *, empty: str = EMPTY) -> str:
    """"Dec 3, 2026". A datetime is first moved to the active (practice's) time zone."""
    if value is None or value == "":
        return empty
    if isinstance(value, datetime):
        value = _local(value).date()
    return dateformat.format(value, DATE_FORMAT)


def datetime_text(value: datetime | None, *, empty: str = EMPTY) -> str:
    """"Dec 3, 2026, 9:05 AM" in the active (practice's) time zone."""
    if value is None or value == "":
        return empty
    if not isinstance(value, datetime):
        return date_text(value, empty=empty)
    return dateformat.format(_local(value), DATETIME_FORMAT)


def payer_name_text(name: str | None) -> str:
    """Payer names as people write them: files often send "BLUE CROSS OF CALIFORNIA".

    Only an all-capitals name is changed; short all-capital words (UHC, HMO, PPO, of two
    or three letters) stay as they are because they are usually initials.
    """
    if not name:
        return ""
    if name != name.upper() or not any(ch.isalpha() for ch in name):
        return name
    small = {"OF", "AND", "THE", "FOR", "IN", "ON", "AT", "BY"}
    words = []
    for i, word in enumerate(name.split(" ")):
        if i and word in small:
            words.append(word.lower())
        elif len(word) <= 3 and word.isalpha() and word not in small:
            words.append(word)
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value
