"""ICD-10-CM diagnosis codes: pure checks against the code set in `simple_icd_10_cm`.

Claims carry only billable codes: the leaves of the ICD-10-CM tree. A category such as F41 or
a subcategory such as F43.1 has more specific codes below it and a payer rejects it, so we
refuse it here with the specific codes to choose from. Codes are accepted with or without the
dot and stored with it (F41.1), which is how they are printed on the CMS-1500 and on screens;
the X12 builder strips the dot itself.
"""

from __future__ import annotations

import re

import simple_icd_10_cm as icd

MAX_DIAGNOSES = 12  # a CMS-1500 / 837P claim has twelve diagnosis pointers (A-L)

# Letter, digit, letter-or-digit, then an optional dot and up to four more characters.
_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


def _clean(code: str) -> str:
    return re.sub(r"\s+", "", code or "").upper().rstrip(".")


def diagnosis_normalize(code: str) -> str:
    """The code in its stored form: upper case, with the dot after the third character.

    Only meaningful for codes that `diagnosis_error` accepts; others are returned cleaned.
    """
    cleaned = _clean(code)
    if _SHAPE.match(cleaned) and icd.is_valid_item(cleaned):
        return icd.add_dot(cleaned)
    return cleaned


def diagnosis_error(code: str) -> str | None:
    """Why `code` cannot go on a claim, or None when it is a billable ICD-10-CM code."""
    cleaned = _clean(code)
    if not cleaned:
        return "Enter an ICD-10-CM code, such as F41.1."
    if "-" in cleaned:
        return f"{cleaned} is a range of codes; choose one specific code."
    if not _SHAPE.match(cleaned) or not icd.is_valid_item(cleaned):
        return f"{cleaned} is not an ICD-10-CM code."
    dotted = icd.add_dot(cleaned)
    if icd.is_leaf(dotted):
        return None
    examples = [c for c in icd.get_descendants(dotted) if icd.is_leaf(c)][:2]
    kind = "a category" if icd.is_category(dotted) else "not specific enough"
    hint = " or ".join(examples)
    return f"{dotted} is {kind}; choose a specific code such as {hint}."


def diagnosis_description(code: str) -> str:
    """The official short description, or "" for a code that is not in ICD-10-CM."""
    cleaned = _clean(code)
    if not _SHAPE.match(cleaned) or not icd.is_valid_item(cleaned):
        return ""
    return icd.get_description(cleaned)
