"""Code sets and formats used on claims: place of service, CPT, modifiers, US phone numbers.

Pure functions with messages a person can act on. Billing Setup, the client screens, the
appointment screens, the REST API and the claim scrubber all call these, so they accept and
refuse the same input with the same words.

The `*_error` / `*_errors` checks look at the value exactly as given; clean it first
(`cpt_clean`, `modifiers_parse`) when it comes from a person. The scrubber relies on that: it
checks the stored value that goes on the claim, not a tidied copy.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

_POS_CSV = Path(__file__).resolve().parent / "data" / "place_of_service.csv"

# ASCII only: these codes go into X12, whose basic character set has no other digits or
# letters (Python's \d and str.isalnum() would accept e.g. Arabic-Indic digits).
# CPT: 5 digits, or 4 digits and F (Category II), T (Category III) or U (PLA); HCPCS Level
# II: a letter A–V and 4 digits. Upper case only: callers clean typed input (cpt_clean).
_CPT = re.compile(r"[0-9]{5}|[0-9]{4}[FTU]|[A-V][0-9]{4}")
_MODIFIER = re.compile(r"[A-Za-z0-9]{2}")
MAX_MODIFIERS = 4  # the 837P SV101 composite holds four modifiers


def _short(value: str, limit: int = 12) -> str:
    """`value` for a message, cut short so pasted junk cannot flood the page."""
    return value if len(value) <= limit else value[:limit] + "…"


# --- place of service -------------------------------------------------------------------------


@cache
def place_of_service_codes() -> dict[str, str]:
    """CMS place-of-service codes (837P CLM05-1 / SV105) and their names, in file order."""
    with _POS_CSV.open(newline="", encoding="utf-8") as fh:
        return {row["code"].strip(): row["name"].strip() for row in csv.DictReader(fh)}


def place_of_service_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in place_of_service_codes().items()]


def place_of_service_name(code: str) -> str:
    return place_of_service_codes().get(code, "")


# --- CPT --------------------------------------------------------------------------------------


def cpt_clean(value: str | None) -> str:
    return (value or "").strip().upper()


def cpt_error(code: str, *, required: bool = False) -> str | None:
    """The shape of a CPT/HCPCS code: 5 digits (90837), 4 digits and F, T or U (Category
    II/III/PLA, e.g. 0591T) or a letter A–V and 4 digits (HCPCS Level II, e.g. H0004).

    Shape only: whether the practice may bill it is `oasys.practice.cpt.cpt_validate`.
    A service type or pricing rule may leave the code empty (the readiness engine asks for
    it later); a claim line may not, so the scrubber passes required=True.
    """
    if not code:
        return "No CPT code." if required else None
    if not _CPT.fullmatch(code):
        return (
            f"{_short(code)!r} is not a CPT or HCPCS code: use 5 digits (like 90837), "
            "4 digits and F, T or U (like 0591T), or a letter and 4 digits (like H0004)."
        )
    return None


# --- modifiers --------------------------------------------------------------------------------


def modifiers_parse(value: str | None) -> list[str]:
    """Modifiers typed as "95, ho" or "95 HO": upper case, commas or spaces between."""
    return [m.strip().upper() for m in re.split(r"[,\s]+", value or "") if m.strip()]


def modifier_errors(modifiers: Sequence[str], *, allow_repeats: bool = False) -> list[str]:
    """Every problem with one claim line's modifiers, most basic first.

    allow_repeats: service types and the scrubber have never refused a repeated modifier;
    appointments do.
    """
    errors = []
    if len(modifiers) > MAX_MODIFIERS:
        errors.append(
            f"A claim line takes at most {MAX_MODIFIERS} modifiers; this has {len(modifiers)}."
        )
    bad = [_short(m) for m in modifiers if not _MODIFIER.fullmatch(m)]
    if bad:
        errors.append(
            f"Each modifier is 2 letters or digits (like 95, GT or HO); check {', '.join(bad)}."
        )
    repeated = sorted({m for m in modifiers if modifiers.count(m) > 1})
    if repeated and not allow_repeats:
        errors.append(f"Each modifier may appear once; remove the repeated {', '.join(repeated)}.")
    return errors


def modifiers_error(value: str | None, *, allow_repeats: bool = False) -> str | None:
    """The first problem with modifiers as a person typed them (see modifiers_parse)."""
    errors = modifier_errors(modifiers_parse(value), allow_repeats=allow_repeats)
    return errors[0] if errors else None


# --- phone ------------------------------------------------------------------------------------


def phone_digits(value: str | None) -> str:
    """The digits only, dropping punctuation and a leading US country code (1)."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def phone_error(value: str | None) -> str | None:
    """A US (NANP) phone number: 10 digits, area code and exchange not starting with 0 or 1."""
    if re.search(r"[A-Za-z]", value or ""):
        # Vanity numbers (1-800-CALL-NOW) cannot go on a claim.
        return "A phone number has digits only (spaces, dashes and brackets are fine)."
    digits = phone_digits(value)
    if len(digits) != 10:
        return f"A US phone number has 10 digits; this has {len(digits)}."
    if digits[0] in "01":
        return "A US area code cannot start with 0 or 1."
    if digits[3] in "01":
        return "The 3 digits after the area code cannot start with 0 or 1."
    return None


def phone_display(value: str | None) -> str:
    """(512) 555-0199 for a 10-digit number however it is punctuated; anything else as is."""
    digits = phone_digits(value)
    if len(digits) != 10:
        return value or ""
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
