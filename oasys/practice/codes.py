"""Small code sets and formats used on claims: place of service, CPT, modifiers, phone."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

_POS_CSV = Path(__file__).resolve().parent.parent / "core" / "data" / "place_of_service.csv"
_CPT = re.compile(r"^(?:\d{5}|\d{4}[A-Z])$")
_MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
MAX_MODIFIERS = 4  # the 837P SV101 composite holds four modifiers


@cache
def place_of_service_codes() -> dict[str, str]:
    with _POS_CSV.open(newline="", encoding="utf-8") as fh:
        return {row["code"].strip(): row["name"].strip() for row in csv.DictReader(fh)}


def place_of_service_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in place_of_service_codes().items()]


def cpt_error(value: str) -> str | None:
    code = (value or "").strip().upper()
    if not code:
        return None  # optional on a service type; the readiness engine asks for it later
    if not _CPT.match(code):
        return "A CPT code has 5 characters: 5 digits (90837) or 4 digits and a letter (0591T)."
    return None


def modifiers_parse(value: str) -> list[str]:
    return [m.strip().upper() for m in re.split(r"[,\s]+", value or "") if m.strip()]


def modifiers_error(value: str) -> str | None:
    mods = modifiers_parse(value)
    if len(mods) > MAX_MODIFIERS:
        return f"A claim line holds at most {MAX_MODIFIERS} modifiers; this has {len(mods)}."
    bad = [m for m in mods if not _MODIFIER.match(m)]
    if bad:
        return f"Each modifier is 2 letters or digits (e.g. 95, GT, HO); check {', '.join(bad)}."
    return None


def phone_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def phone_error(value: str) -> str | None:
    """A US (NANP) phone number: 10 digits, area code and exchange not starting with 0 or 1."""
    if re.search(r"[A-Za-z]", value or ""):
        return "A phone number has digits only (spaces, dashes and brackets are fine)."
    digits = phone_digits(value)
    if len(digits) != 10:
        return f"A US phone number has 10 digits; this has {len(digits)}."
    if digits[0] in "01" or digits[3] in "01":
        return "This is not a valid US phone number: check the area code and exchange."
    return None


def phone_formatted(value: str) -> str:
    d = phone_digits(value)
    return f"({d[:3]}) {d[3:6]}-{d[6:]}" if len(d) == 10 else value
