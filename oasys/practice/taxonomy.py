"""The NUCC Health Care Provider Taxonomy code set, shipped as data/nucc_taxonomy.csv.

Claims carry the provider's taxonomy (2000A PRV / 2310B PRV); payers reject unknown and
deactivated codes, so we check them when they are entered rather than when a claim bounces.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_CSV = Path(__file__).parent / "data" / "nucc_taxonomy.csv"
_FORMAT = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")

BEHAVIORAL_GROUPING = "Behavioral Health & Social Service Providers"
# Codes outside the behavioral-health grouping that therapy practices still bill under:
# psychiatry, psychiatric nurse practitioners and clinical nurse specialists.
BEHAVIORAL_EXTRA_PREFIXES = ("2084P08", "2084B0040X", "2084F0202X", "363LP0808X", "364SP08")


@dataclass(frozen=True)
class Taxonomy:
    code: str
    grouping: str
    classification: str
    specialization: str
    display_name: str
    deactivated: bool

    @property
    def label(self) -> str:
        return f"{self.code} — {self.display_name}"

    @property
    def behavioral(self) -> bool:
        return self.grouping == BEHAVIORAL_GROUPING or self.code.startswith(
            BEHAVIORAL_EXTRA_PREFIXES
        )


@cache
def taxonomy_codes() -> dict[str, Taxonomy]:
    """Every code in the shipped set, read once per process."""
    with _CSV.open(newline="", encoding="utf-8") as fh:
        return {
            row["code"].strip(): Taxonomy(
                code=row["code"].strip(),
                grouping=row["grouping"].strip(),
                classification=row["classification"].strip(),
                specialization=row["specialization"].strip(),
                display_name=row["display_name"].strip(),
                deactivated=row["deactivated"].strip() == "1",
            )
            for row in csv.DictReader(fh)
        }


def taxonomy_normalized(code: str) -> str:
    return (code or "").strip().upper()


def taxonomy_error(code: str) -> str | None:
    """Why `code` cannot go on a claim, or None when it is an active NUCC code."""
    value = taxonomy_normalized(code)
    if not value:
        return "Enter the provider taxonomy code."
    if not _FORMAT.match(value):
        return "A taxonomy code has 10 characters ending in X, for example 101YM0800X."
    entry = taxonomy_codes().get(value)
    if entry is None:
        return f"{value} is not in the NUCC taxonomy code set."
    if entry.deactivated:
        return f"{value} was deactivated by NUCC; payers reject it. Choose a current code."
    return None


def taxonomy_label(code: str) -> str:
    entry = taxonomy_codes().get(taxonomy_normalized(code))
    return entry.label if entry else code


@cache
def behavioral_taxonomies() -> tuple[Taxonomy, ...]:
    """Active behavioral-health codes, the ones a therapy practice picks from (the datalist)."""
    return tuple(
        sorted(
            (t for t in taxonomy_codes().values() if t.behavioral and not t.deactivated),
            key=lambda t: (t.classification, t.specialization),
        )
    )


def taxonomy_choices() -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in behavioral_taxonomies()]
