"""Pure checks for client data, each returning a message a person can act on, or None.

They know nothing about forms or the API: services call them so the screens and the REST API
refuse exactly the same input with exactly the same words.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

EARLIEST_DOB = dt.date(1900, 1, 1)

# Payers match names against the card, and X12 carries a limited character set: letters,
# spaces, hyphens and apostrophes are what legal names on cards use.
_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z' \-]*[A-Za-z'])?$")
_MEMBER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]*$")
MAX_PRICE = Decimal("99999999.99")


def name_clean(value: str) -> str:
    """Trim, collapse inner spaces and straighten typographic apostrophes."""
    value = (value or "").replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", value).strip()


def name_error(value: str, *, label: str = "name", max_length: int = 60) -> str | None:
    name = name_clean(value)
    if not name:
        return f"Enter the {label}."
    if len(name) > max_length:
        return f"The {label} can be at most {max_length} characters."
    if not _NAME.match(name):
        return (
            f"The {label} can have letters, spaces, hyphens and apostrophes only, "
            "exactly as on the insurance card."
        )
    return None


def date_parse(value: dt.date | str | None) -> dt.date | None:
    """A date from a date or an ISO string (the API sends strings); ValueError if unreadable."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def birth_date_error(
    value: dt.date | None, *, whose: str = "the", today: dt.date | None = None
) -> str | None:
    if value is None:
        return f"Enter {whose} date of birth."
    today = today or dt.date.today()
    if value > today:
        return f"{whose.capitalize()} date of birth cannot be in the future."
    if value < EARLIEST_DOB:
        return f"{whose.capitalize()} date of birth cannot be before 1900: check the year."
    return None


def gender_error(value: str) -> str | None:
    if not value:
        return "Choose the gender as on the insurance card (M, F or U)."
    if value not in {"M", "F", "U"}:
        return "Gender is M, F or U."
    return None


def email_error(value: str) -> str | None:
    try:
        validate_email(value)
    except ValidationError:
        return "Enter a valid email address, like name@example.com."
    return None


def price_parse(value: Decimal | int | str | None) -> Decimal | None:
    """A price from a Decimal, int or string ("120", "120.00", "$1,200.50"); None when blank.

    Raises ValueError with a message when the text is not an amount. Floats are refused
    because they cannot hold cents exactly.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        raise ValueError('Send the amount as a string such as "120.00", not a number.')
    if isinstance(value, str):
        value = value.strip().replace("$", "").replace(",", "")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("Enter an amount such as 120 or 120.00.") from exc
    if not amount.is_finite():
        raise ValueError("Enter an amount such as 120 or 120.00.")
    return amount


def price_error(amount: Decimal | None) -> str | None:
    if amount is None:
        return None
    if amount < 0:
        return "A price cannot be negative; $0 means the service is not billed."
    if amount > MAX_PRICE:
        return "This price is too large."
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return "A price has at most 2 decimal places (cents)."
    return None


def member_id_error(value: str) -> str | None:
    member_id = (value or "").strip()
    if not member_id:
        return "Enter the member ID exactly as on the insurance card."
    if len(member_id) > 40:
        return "A member ID has at most 40 characters."
    if not _MEMBER_ID.match(member_id):
        return "A member ID has letters, digits and hyphens only (no spaces)."
    return None


def group_number_error(value: str) -> str | None:
    group = (value or "").strip()
    if group and (len(group) > 40 or not _MEMBER_ID.match(group)):
        return "A group number has letters, digits and hyphens only (up to 40)."
    return None
