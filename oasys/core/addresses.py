"""US addresses as payers accept them: a known state code, a 5- or 9-digit ZIP, and a street
address (never a post office box, however it is spelled)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).parent / "data"

# Every spelling of a PO box we have seen on claims: "PO Box", "P.O. Box", "P O Box", "POB",
# "PO BX", "Post Office Box", "Post Box", "Box 12", "Postal Box", "Lock Box", "Drawer" ...
_PO_BOX = re.compile(
    r"""(?ix)
    (?:^|[\s,#])(
        p\.?\s*o\.?\s*b(?:ox|x|\.)?(?:\b|(?=\d))   # PO Box, P.O. Box, P O BX, POB, POBOX12
      | p\.?\s*o\.?\s*\#?\s*\d             # PO 123
      | post\s*(?:al)?\s*(?:office)?\s*b(?:ox|x)\b   # Post Office Box, Postal Box, Post Box
      | post\s*office\b
      | (?:lock\s*)?box\s*\#?\s*\d        # Box 12, Lock Box 3
      | p\.?\s*o\.?\s*drawer\b
      | drawer\s+\w
    )
    """
)
_ZIP = re.compile(r"^\d{5}(?:-?\d{4})?$")


@cache
def us_states() -> dict[str, str]:
    with (_DATA / "us_states.csv").open(newline="", encoding="utf-8") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def is_po_box(line: str) -> bool:
    return bool(_PO_BOX.search(" " + (line or "")))


# The 837P guide wants ZIP+4 for the billing provider and service facility (2010AA/2310C N403):
# clearinghouses reject a 5-digit ZIP there, so those addresses need all 9 digits.
ZIP4_REQUIRED = "ZIP+4 required for claims: e.g. 94111-1234"


def is_zip4(value: str) -> bool:
    """True for a 9-digit ZIP, with or without the dash (94111-1234 or 941111234)."""
    return bool(re.fullmatch(r"\d{5}-?\d{4}", (value or "").strip()))


def zip_normalized(value: str) -> str:
    z = (value or "").strip()
    if re.fullmatch(r"\d{9}", z):
        return f"{z[:5]}-{z[5:]}"
    return z


@dataclass(frozen=True)
class AddressErrors:
    fields: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.fields)


def address_errors(
    *, line1: str, line2: str = "", city: str, state: str, zip_code: str
) -> AddressErrors:
    """Field name -> message for each problem with a US street address."""
    errors: dict[str, str] = {}
    if not (line1 or "").strip():
        errors["address1"] = "Enter the street address."
    elif is_po_box(line1):
        errors["address1"] = "Use a street address: payers refuse PO boxes here."
    elif not re.search(r"\d", line1):
        errors["address1"] = "A street address has a building number."
    if line2 and is_po_box(line2):
        errors["address2"] = "Use a street address: payers refuse PO boxes here."
    if not (city or "").strip():
        errors["city"] = "Enter the city."
    elif not re.fullmatch(r"[A-Za-z .'\-]{2,60}", city.strip()):
        errors["city"] = "A city name has letters, spaces, periods, apostrophes and dashes."
    if not state:
        errors["state"] = "Choose the state."
    elif state.upper() not in us_states():
        errors["state"] = f"{state!r} is not a US state or territory code."
    if not zip_code:
        errors["zip_code"] = "Enter the ZIP code."
    elif not _ZIP.match(zip_code.strip()):
        errors["zip_code"] = "A ZIP code has 5 digits, or 9 (ZIP+4)."
    elif zip_code.strip().startswith("00000"):
        errors["zip_code"] = "00000 is not a ZIP code."
    return AddressErrors(errors)


def state_choices() -> list[tuple[str, str]]:
    return [("", "—")] + sorted((code, f"{code} — {name}") for code, name in us_states().items())
