"""Build `payers.csv` (the payer directory shipped with Oasys) from a clearinghouse payer list.

Run by hand by a developer, never at runtime or in tests:

    python oasys/practice/data/build_payers.py /path/to/officeally_payers.csv \
        > oasys/practice/data/payers.csv

The input is a public clearinghouse payer list (the Office Ally export) with the columns
PAYER NAME, PAYER ID, TRANSACTION, AVAILABLE, NON PAR, ENROLLMENT, ... and one row per payer
per transaction type. The output has one row per payer with the columns the `Payer` model
holds: a payer ID, a "supported" flag and an "enrollment required" flag for each of the three
transactions a therapy practice uses (837P professional claims, 835 ERA, 270/271 eligibility).

Rules (kept deliberately simple so the output is reproducible):

* Rows are grouped by payer name (whitespace collapsed). Institutional, dental and claim-status
  rows are ignored: a therapist bills professional claims only.
* A name with several distinct 837P payer IDs (e.g. one for auto, one for workers' comp)
  becomes one payer per claims ID; the ERA row with the same ID is preferred for each.
* A name with no professional-claims row is kept if it has ERA or eligibility, so that
  eligibility-only payers can still be searched.
* A few well-known behavioral-health payers must be present (see MUST_HAVE); the script fails
  loudly if the source list ever loses them, rather than shipping a directory without them.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from collections.abc import Iterable

CLAIMS = "Professional Claims 837P"
ERA = "Remits 835"
ELIGIBILITY = "Eligibility 270 / 271"

OUT_COLUMNS = [
    "name",
    "payer_id_claims",
    "payer_id_era",
    "payer_id_eligibility",
    "supports_claims",
    "supports_era",
    "supports_eligibility",
    "enrollment_required_claims",
    "enrollment_required_era",
    "enrollment_required_eligibility",
]

# (name, claims payer ID) pairs a therapy practice expects to find. Every one comes from the
# source list; the check only guards against a future list that dropped them.
MUST_HAVE = [
    ("Aetna Healthcare", "60054"),
    ("CIGNA", "62308"),
    ("UnitedHealthcare (UHC)", "87726"),
    ("OptumHealth / OptumHealth Behavioral Solutions of NM", "87726"),
    ("Optum Maryland Behavioral Health", "OMDBH"),
    ("BCBS Texas (HCSC)", "84980"),
    ("BCBS Illinois (HCSC)", "00621"),
    ("BCBS Michigan", "00710"),
    ("Medicare California (South)", "MR002"),
    ("Medicaid Utah", "SKUT0"),
]


def _clean(value: str | None) -> str:
    return re.sub(r"\s+", " ", (value or "").strip())


def _yes(value: str | None) -> bool:
    return _clean(value).lower() == "yes"


def merge(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    by_name: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        name = _clean(row.get("PAYER NAME"))
        txn = _clean(row.get("TRANSACTION"))
        pid = _clean(row.get("PAYER ID")).replace(" ", "")
        if not name or not pid or txn not in (CLAIMS, ERA, ELIGIBILITY):
            continue
        if row.get("AVAILABLE") is not None and not _yes(row.get("AVAILABLE")):
            continue
        by_name[name][txn].append({"id": pid, "enroll": _yes(row.get("ENROLLMENT"))})

    out: list[dict[str, str]] = []
    for name in sorted(by_name, key=str.lower):
        txns = by_name[name]
        claim_rows = _distinct(txns[CLAIMS])
        era_rows = _distinct(txns[ERA])
        elig_rows = _distinct(txns[ELIGIBILITY])
        elig = elig_rows[0] if elig_rows else None
        for claim in claim_rows or [None]:
            era = None
            if era_rows:
                same = [r for r in era_rows if claim and r["id"] == claim["id"]]
                era = same[0] if same else era_rows[0]
            out.append(
                {
                    "name": name,
                    "payer_id_claims": claim["id"] if claim else "",
                    "payer_id_era": era["id"] if era else "",
                    "payer_id_eligibility": elig["id"] if elig else "",
                    "supports_claims": _flag(claim is not None),
                    "supports_era": _flag(era is not None),
                    "supports_eligibility": _flag(elig is not None),
                    "enrollment_required_claims": _flag(bool(claim and claim["enroll"])),
                    "enrollment_required_era": _flag(bool(era and era["enroll"])),
                    "enrollment_required_eligibility": _flag(bool(elig and elig["enroll"])),
                }
            )
    return out


def _distinct(rows: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for row in rows:
        # If any row for this ID says enrollment is required, it is.
        if row["id"] in seen:
            seen[row["id"]]["enroll"] = seen[row["id"]]["enroll"] or row["enroll"]
        else:
            seen[row["id"]] = dict(row)
    return sorted(seen.values(), key=lambda r: r["id"])


def _flag(value: bool) -> str:
    return "1" if value else "0"


def check_must_have(merged: list[dict[str, str]]) -> list[str]:
    present = {(r["name"], r["payer_id_claims"]) for r in merged}
    return [f"{name} ({pid})" for name, pid in MUST_HAVE if (name, pid) not in present]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], newline="", encoding="utf-8", errors="replace") as fh:
        merged = merge(csv.DictReader(fh))
    missing = check_must_have(merged)
    if missing:
        print("missing well-known payers: " + ", ".join(missing), file=sys.stderr)
        return 1
    writer = csv.DictWriter(sys.stdout, fieldnames=OUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(merged)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
