"""CMS place-of-service codes (the 837P's CLM05-1 / SV105), read from the core data file."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

_POS_CSV = Path(__file__).resolve().parent.parent / "core" / "data" / "place_of_service.csv"


@cache
def place_of_service_codes() -> dict[str, str]:
    with _POS_CSV.open(newline="", encoding="utf-8") as fh:
        return {row["code"].strip(): row["name"].strip() for row in csv.DictReader(fh)}


def place_of_service_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in place_of_service_codes().items()]


def place_of_service_name(code: str) -> str:
    return place_of_service_codes().get(code, "")
