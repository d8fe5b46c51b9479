"""NPI and taxpayer identification numbers: pure checks with messages a person can act on."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"^\d+$")


def npi_error(value: str) -> str | None:
    """Why `value` is not a valid NPI, or None when it is.

    An NPI is 10 digits whose last digit is a Luhn check digit computed over the number
    prefixed with 80840 (the ISO card-issuer prefix for US health identifiers).
    """
    npi = (value or "").strip()
    if not npi:
        return "Enter the 10-digit NPI."
    if not _DIGITS.match(npi):
        return "An NPI has digits only."
    if len(npi) != 10:
        return f"An NPI has exactly 10 digits; this has {len(npi)}."
    if npi[0] not in "12":
        return "An NPI starts with 1 (individual) or 2 (organization)."
    if not npi_check_digit_ok(npi):
        return "This NPI's check digit is wrong: check for a typo."
    return None


def npi_check_digit_ok(npi: str) -> bool:
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    # Luhn: double every second digit from the right of the payload (which excludes the check).
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def npi_with_check_digit(prefix9: str) -> str:
    """Complete a 9-digit prefix into a valid NPI (used by demo data and tests)."""
    for check in range(10):
        candidate = f"{prefix9}{check}"
        if npi_check_digit_ok(candidate):
            return candidate
    raise ValueError("unreachable: one check digit always fits")


def digits_only(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def tax_id_error(value: str, *, kind: str, organization: bool) -> str | None:
    """Why a tax ID is not acceptable, or None. kind is "ein" or "ssn"."""
    tin = digits_only(value)
    if not tin:
        return "Enter the 9-digit tax ID."
    if not _DIGITS.match(tin):
        return "A tax ID has digits only (dashes are fine)."
    if len(tin) != 9:
        return f"A tax ID has exactly 9 digits; this has {len(tin)}."
    if organization and kind != "ein":
        return "Organizations must use an EIN, not an SSN."
    if kind == "ein":
        if tin[:2] in {"00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70",
                       "78", "79", "89", "96", "97"}:
            return "This is not a valid EIN prefix: check the first two digits."
    elif kind == "ssn":
        area, group, serial = tin[:3], tin[3:5], tin[5:]
        if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
            return "This is not a valid SSN."
    else:
        return "Choose whether this is an EIN or an SSN."
    return None


def tax_id_masked(value: str) -> str:
    tin = digits_only(value)
    if len(tin) != 9:
        return "•" * len(tin)
    return f"•••-••-{tin[-4:]}"
