"""Reading an amount a person or an API client typed for an invoice line (pure: no
database). An invoice line bills a positive number of dollars and cents: zero, a negative
number, anything that is not a number, more than two decimal places, and a float that cannot
hold cents exactly are refused with a message that says which."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal("99999999.99")  # what Invoice.total (10 digits, 2 places) can hold

# digits with an optional point and up to any decimals (checked below), an optional leading
# "$" and thousands commas as people type them ("$1,250.00")
_SHAPE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?$")


class AmountError(ValueError):
    """Why an amount was refused, in words for the person who typed it."""


def amount_parse(value: object) -> Decimal:
    """The amount as a Decimal with two places, or AmountError saying what is wrong.

    Accepts a str ("150", "150.5", "$1,250.00"), an int, a Decimal, and a float only when it
    is the exact value of at most two decimals (a JSON 150.5); bools are refused."""
    if isinstance(value, bool) or value is None:
        raise AmountError("Enter an amount, like 150 or 150.00.")
    if isinstance(value, float):
        # repr gives the shortest text that round-trips: 0.1 -> "0.1", 1.005 -> "1.005"
        value = repr(value)
    if isinstance(value, int | Decimal):
        value = str(value)
    if not isinstance(value, str):
        raise AmountError("Enter an amount, like 150 or 150.00.")
    text = value.strip()
    if not text:
        raise AmountError("Enter an amount, like 150 or 150.00.")
    if text.startswith("-"):
        raise AmountError("An amount must be more than $0; a negative amount is refused.")
    if not _SHAPE.match(text) or not any(c.isdigit() for c in text):
        raise AmountError("Enter an amount in dollars, like 150 or 150.00.")
    try:
        amount = Decimal(text.lstrip("$").strip().replace(",", ""))
    except InvalidOperation as exc:
        raise AmountError("Enter an amount in dollars, like 150 or 150.00.") from exc
    if not amount.is_finite():
        raise AmountError("Enter an amount in dollars, like 150 or 150.00.")
    if amount != amount.quantize(Decimal("0.01")):  # "1.50000" is fine, "1.005" is not
        raise AmountError("Use at most 2 decimal places (cents).")
    if amount <= 0:
        raise AmountError("An amount must be more than $0.")
    if amount > MAX_AMOUNT:
        raise AmountError("An amount must be at most $99,999,999.99.")
    return amount.quantize(Decimal("0.01"))
