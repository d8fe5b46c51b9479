"""Conversions between X12 element text and Python values (Decimal, date, int)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from x12.errors import X12SyntaxError

_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
TWO_PLACES = Decimal("0.01")
MAX_DIGITS = 18  # X12 R (decimal) elements such as amounts are at most 18 digits


_DECIMALS: dict[str, Decimal] = {}


def to_decimal(text: str, *, position: int | None = None, segment_id: str | None = None,
               element: int | None = None) -> Decimal:
    """Parse an X12 R (decimal) element into a Decimal; raise X12SyntaxError if malformed."""
    value = _DECIMALS.get(text)
    if value is not None:
        return value
    if not _NUMBER.match(text):
        raise X12SyntaxError("not a decimal number", position=position, segment_id=segment_id,
                             element=element, expected="decimal number", found=text)
    if len(text) > MAX_DIGITS and sum(c.isdigit() for c in text) > MAX_DIGITS:
        raise X12SyntaxError("number has too many digits", position=position,
                             segment_id=segment_id, element=element,
                             expected=f"at most {MAX_DIGITS} digits", found=text)
    value = Decimal(text)
    if len(_DECIMALS) >= 50_000:  # Decimals are immutable: a bounded cache is safe
        _DECIMALS.clear()
    _DECIMALS[text] = value
    return value


def opt_decimal(text: str, *, position: int | None = None, segment_id: str | None = None,
                element: int | None = None) -> Decimal | None:
    if text == "":
        return None
    return to_decimal(text, position=position, segment_id=segment_id, element=element)


def to_date(text: str, *, position: int | None = None, segment_id: str | None = None,
            element: int | None = None) -> dt.date:
    """Parse CCYYMMDD (or YYMMDD) into a date."""
    try:
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 6 and text.isdigit():
            return dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        pass
    raise X12SyntaxError("not a valid date", position=position, segment_id=segment_id,
                         element=element, expected="CCYYMMDD", found=text)


def opt_date(text: str, **kw: object) -> dt.date | None:
    return None if text == "" else to_date(text, **kw)  # type: ignore[arg-type]


def date_range(qualifier: str, text: str, **kw: object) -> tuple[dt.date | None, dt.date | None]:
    """Parse a D8 or RD8 value into (start, end)."""
    if qualifier == "RD8" or (len(text) == 17 and "-" in text):
        a, _, b = text.partition("-")
        return to_date(a, **kw), to_date(b, **kw)  # type: ignore[arg-type]
    d = to_date(text, **kw)  # type: ignore[arg-type]
    return d, d


def fmt_amount(value: Decimal | None) -> str | None:
    """Two-decimal string used in JSON output."""
    if value is None:
        return None
    try:
        return str(value.quantize(TWO_PLACES))
    except InvalidOperation:  # more digits than the decimal context holds
        return f"{value:f}"


def x12_amount(value: Decimal) -> str:
    """Amount as written in X12: no trailing zeros past the point, no exponent."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    q = value.quantize(TWO_PLACES)
    text = f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def x12_number(value: Decimal | int) -> str:
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def x12_date(value: dt.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
