"""The payer list: real payer names and ids from the repository's payer directory CSV.

`oasys/practice/data/payers.csv` when present (the product's directory), else the smaller
copy shipped beside this module.  Search answers in Stedi's shape.
"""

from __future__ import annotations

import csv
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_CSV = HERE.parent.parent / "oasys" / "practice" / "data" / "payers.csv"
OWN_CSV = HERE / "payers.csv"


def _support(supported: str, required: str) -> str:
    if supported != "1":
        return "NOT_SUPPORTED"
    return "ENROLLMENT_REQUIRED" if required == "1" else "SUPPORTED"


def _stedi_id(name: str, payer_id: str) -> str:
    digest = hashlib.sha256(f"{name}|{payer_id}".encode()).digest()
    return "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[b % 26] for b in digest[:5])


@cache
def payers() -> list[dict[str, Any]]:
    path = REPO_CSV if REPO_CSV.exists() else OWN_CSV
    out: list[dict[str, Any]] = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ids = [row.get("payer_id_claims", ""), row.get("payer_id_era", ""),
                   row.get("payer_id_eligibility", "")]
            primary = next((i for i in ids if i), "")
            if not primary:
                continue
            aliases = sorted({i for i in ids if i and i != primary})
            out.append({
                "stediId": _stedi_id(row["name"], primary),
                "displayName": row["name"],
                "primaryPayerId": primary,
                "aliases": aliases,
                "names": [row["name"]],
                "coverageTypes": ["medical"],
                "transactionSupport": {
                    "professionalClaimSubmission": _support(
                        row.get("supports_claims", ""), row.get("enrollment_required_claims", "")),
                    "claimPayment": _support(row.get("supports_era", ""),
                                             row.get("enrollment_required_era", "")),
                    "eligibilityCheck": _support(
                        row.get("supports_eligibility", ""),
                        row.get("enrollment_required_eligibility", "")),
                    "claimStatus": _support(row.get("supports_eligibility", ""),
                                            row.get("enrollment_required_eligibility", "")),
                    "institutionalClaimSubmission": "NOT_SUPPORTED",
                    "dentalClaimSubmission": "NOT_SUPPORTED",
                    "coordinationOfBenefits": "NOT_SUPPORTED",
                    "unsolicitedClaimAttachment": "NOT_SUPPORTED",
                },
            })
    return out


def find(id_or_alias: str) -> dict[str, Any] | None:
    key = id_or_alias.strip().upper()
    for p in payers():  # a primary id wins over another payer's alias
        if key in (p["primaryPayerId"].upper(), p["stediId"]):
            return p
    for p in payers():
        if key in (a.upper() for a in p["aliases"]):
            return p
    return None


def payer_name(payer_id: str, given: str) -> str:
    """The name the submitter gave (several payers share an id), else the directory's."""
    if given:
        return given
    found = find(payer_id) if payer_id else None
    return found["displayName"] if found else (payer_id or "SANDBOX PAYER")


def search(query: str, page_size: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """(page of results with scores, total) for a free-text query over names and ids."""
    terms = [t for t in query.lower().split() if t]
    scored: list[tuple[float, dict[str, Any]]] = []
    for p in payers():
        ids = [p["primaryPayerId"].lower(), p["stediId"].lower(),
               *(a.lower() for a in p["aliases"])]
        name = p["displayName"].lower()
        if not terms:
            score = 1.0
        elif query.strip().lower() in ids:
            score = 1000.0
        elif all(t in name or t in ids for t in terms):
            score = 100.0 - len(name) / 10 + (50 if name.startswith(terms[0]) else 0)
        else:
            continue
        scored.append((score, p))
    scored.sort(key=lambda item: (-item[0], item[1]["displayName"]))
    page = [{"payer": p, "score": s} for s, p in scored[offset:offset + page_size]]
    return page, len(scored)
