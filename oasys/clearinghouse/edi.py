"""Reading stored X12 for what the EDI history shows and for matching files to practices."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from x12.errors import X12Error
from x12.parse import parse_file
from x12.reader import X12Reader, element


def content_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class FileFacts:
    """Envelope facts and the identifiers used to find the file's practice."""

    set_id: str = ""
    label: str = ""
    sender: str = ""
    receiver: str = ""
    control_number: str = ""
    group_control_number: str = ""
    npis: set[str] = field(default_factory=set)
    acknowledged_groups: set[str] = field(default_factory=set)  # 999 AK102


def file_facts(raw: str) -> FileFacts:
    facts = FileFacts()
    reader = X12Reader.from_text(raw)
    try:
        for ts in reader:
            facts.set_id = facts.set_id or ts.set_id
            isa = ts.interchange
            facts.sender, facts.receiver = facts.sender or isa.sender, facts.receiver or \
                isa.receiver
            facts.control_number = facts.control_number or isa.control_number
            if ts.group is not None:
                facts.group_control_number = facts.group_control_number or \
                    ts.group.control_number
            if ts.set_id == "277" and "X214" in ts.implementation:
                facts.label = "277CA"
            for els in ts.segments:
                sid = els[0]
                if sid == "NM1" and element(els, 1) in ("85", "1P", "82") and \
                        element(els, 8) == "XX":
                    facts.npis.add(element(els, 9))
                elif sid == "N1" and element(els, 1) == "PE" and element(els, 3) == "XX":
                    facts.npis.add(element(els, 4))
                elif sid == "AK1":
                    facts.acknowledged_groups.add(element(els, 2))
    except X12Error:
        pass  # what could be read is kept; parse errors are reported by parse_raw
    facts.label = facts.label or facts.set_id
    return facts


def parse_raw(raw: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(summary, errors) of a whole file; errors empty means it parsed cleanly."""
    try:
        parsed = parse_file(raw.encode("utf-8"))
    except X12Error as exc:  # pragma: no cover - parse_file collects instead of raising
        return {}, [exc.to_dict()]
    summary = parsed.to_dict()
    errors = summary.pop("errors", [])
    balance = [b.to_dict() for b in parsed.balance_errors()]
    if balance:
        summary["balance_errors"] = balance
    if not any(i["transactions"] for i in summary.get("interchanges", [])) and not errors:
        errors = [{"kind": "ParseError", "message": "no transaction set could be read"}]
    return summary, errors
