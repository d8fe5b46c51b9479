"""Structural validation of 276 claim status inquiries against 005010X212.

pyx12 4.0.0 has no 005010X212 276 map (its maps.xml lists only a 276 for 005010X093A1,
whose map file it does not ship), so 276 files are checked here the way
:mod:`x12.validate_270` checks 270s: envelope ids, BHT, HL tree 20 -> 21 -> 19 -> 22 -> 23,
segments of each loop in order with qualifiers, and at least one claim (TRN loop) under
the patient's HL.
"""

from __future__ import annotations

from x12.errors import ValidationError, X12Error
from x12.reader import Source, TransactionSet, X12Reader
from x12.structure import (
    LoopSpec,
    SegSpec,
    check_envelope_ids,
    check_hl_tree,
    check_segment,
    check_sequence,
    split_hl,
)
from x12.validate_270 import _date_check, _dmg_check

VERSION = "005010X212"

BHT = SegSpec("BHT", 1, 1, {1: ("0010",), 2: ("13",)}, (3, 4, 5))
SERVICE_LOOP = LoopSpec("2210", (
    SegSpec("SVC", 1, 1, {}, (1, 2)),
    SegSpec("REF", 0, 1, {1: ("FJ",)}, (2,)),
    SegSpec("DTP", 0, 1, {1: ("472",), 2: ("D8", "RD8")}, (3,), _date_check),
))
CLAIM_LOOP = LoopSpec("2200", (
    SegSpec("TRN", 1, 1, {1: ("1",)}, (2,)),
    SegSpec("REF", 0, 4, {1: ("1K", "BLT", "EA", "EJ")}, (2,)),
    SegSpec("AMT", 0, 1, {1: ("T1",)}, (2,)),
    SegSpec("DTP", 0, 1, {1: ("472",), 2: ("D8", "RD8")}, (3,), _date_check),
), SERVICE_LOOP, 0)


def _loop(name: str, level: str, nm101: tuple[str, ...], id_quals: tuple[str, ...],
          child: tuple[str, ...]) -> LoopSpec:
    return LoopSpec(name, (
        SegSpec("HL", 1, 1, {3: (level,), 4: child}, (1,)),
        SegSpec("NM1", 1, 1, {1: nm101, 2: ("1", "2"), 8: id_quals}, (3, 9)),
    ))


LOOPS = {
    "20": _loop("2000A", "20", ("PR",), ("PI", "XV", "FI", "NI", "24", "46"), ("1",)),
    "21": _loop("2000B", "21", ("41",), ("46", "FI", "XX"), ("1",)),
    "19": _loop("2000C", "19", ("1P",), ("FI", "SV", "XX"), ("1",)),
}


def _patient_loop(name: str, nm101: str, needs_claim: bool, child: tuple[str, ...]) -> LoopSpec:
    return LoopSpec(name, (
        SegSpec("HL", 1, 1, {3: ("22" if nm101 == "IL" else "23",), 4: child}, (1, 2)),
        SegSpec("DMG", 0, 1, {1: ("D8",)}, (2,), _dmg_check),
        SegSpec("NM1", 1, 1, {1: (nm101,), 2: ("1", "2")}, (3,)),
    ), CLAIM_LOOP, 1 if needs_claim else 0)


def validate_276_transaction(ts: TransactionSet) -> list[ValidationError]:
    errors: list[ValidationError] = []
    check_envelope_ids(ts, "276", VERSION, errors)
    header, nodes = split_hl(ts)
    if not header or header[0][1][0] != "BHT":
        errors.append(ValidationError("BHT must follow ST", position=ts.start_position + 1,
                                      segment_id=header[0][1][0] if header else "HL",
                                      expected="BHT"))
    else:
        check_segment(BHT, header[0][1], header[0][0], errors, "header")
    if not nodes:
        errors.append(ValidationError("no HL loops", position=ts.start_position,
                                      segment_id="ST", expected="HL*1**20*1"))
        return errors
    check_hl_tree(nodes, {"20": (), "21": ("20",), "19": ("21",), "22": ("19",),
                          "23": ("22",)}, errors)
    levels = [n.level for n in nodes]
    for code, name in (("20", "2000A"), ("21", "2000B"), ("19", "2000C"), ("22", "2000D")):
        if code not in levels:
            errors.append(ValidationError(f"required loop {name} missing",
                                          position=ts.start_position, segment_id="HL",
                                          element=3, expected=code))
    for node in nodes:
        if node.level in LOOPS:
            check_sequence(node.segments, LOOPS[node.level], errors)
        elif node.level == "22":
            spec = _patient_loop("2000D", "IL", node.child_code == "0", ("0", "1"))
            check_sequence(node.segments, spec, errors)
            for pos, els in node.segments:
                if els[0] == "NM1" and (len(els) < 10 or els[8] != "MI" or not els[9]):
                    errors.append(ValidationError("subscriber needs member id",
                                                  position=pos, segment_id="NM1", element=8,
                                                  expected="MI"))
        elif node.level == "23":
            check_sequence(node.segments, _patient_loop("2000E", "QC", True, ("", "0")),
                           errors)
    return errors


def validate_276(source: Source | str) -> list[ValidationError]:
    """Validate every 276 in ``source`` (X12 text as ``str``, bytes, path or file object)."""
    if isinstance(source, str) and source.lstrip("\ufeff \r\n\t").startswith("ISA"):
        reader = X12Reader.from_text(source)
    else:
        reader = X12Reader(source)  # type: ignore[arg-type]
    errors: list[ValidationError] = []
    try:
        for ts in reader:
            errors += validate_276_transaction(ts)
    except X12Error as exc:
        errors.append(ValidationError(exc.message, position=exc.position,
                                      segment_id=exc.segment_id, element=exc.element,
                                      expected=exc.expected, found=exc.found))
    return errors
