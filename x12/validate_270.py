"""Structural validation of 270 eligibility inquiries against 005010X279A1.

pyx12 4.0.0 ships no 5010 270 map, so this module checks what the implementation guide
requires: envelope ids, BHT, the HL tree (20 -> 21 -> 22 -> 23), the segments of each loop
in order with their qualifiers, and at least one EQ for the patient (subscriber or
dependent).  :func:`validate_270` returns a list of :class:`~x12.errors.ValidationError`
(empty when valid).
"""

from __future__ import annotations

from x12.errors import ValidationError, X12Error
from x12.reader import Source, TransactionSet, X12Reader, element
from x12.structure import (
    LoopSpec,
    SegSpec,
    check_envelope_ids,
    check_hl_tree,
    check_segment,
    check_sequence,
    split_hl,
)
from x12.values import to_date

VERSION = "005010X279A1"

PAYER_ID_QUALIFIERS = ("24", "46", "FI", "NI", "PI", "XV", "XX")
PROVIDER_ID_QUALIFIERS = ("24", "34", "FI", "PI", "PP", "SV", "XV", "XX")
DATE_QUALIFIERS = ("102", "291", "307", "435", "472", "636", "771")


def _date_check(els: list[str], pos: int, errors: list[ValidationError]) -> None:
    fmt, value = element(els, 2), element(els, 3)
    try:
        if fmt == "D8":
            to_date(value)
        elif fmt == "RD8":
            a, _, b = value.partition("-")
            if to_date(a) > to_date(b):
                raise ValidationError("date range ends before it starts")
        else:
            raise ValidationError("date format")
    except X12Error:
        errors.append(ValidationError("invalid date", position=pos, segment_id=els[0],
                                      element=3, expected=f"{fmt or 'D8'} date", found=value))


def _dmg_check(els: list[str], pos: int, errors: list[ValidationError]) -> None:
    try:
        to_date(element(els, 2))
    except X12Error:
        errors.append(ValidationError("invalid birth date", position=pos, segment_id="DMG",
                                      element=2, expected="CCYYMMDD", found=element(els, 2)))


BHT = SegSpec("BHT", 1, 1, {1: ("0022",), 2: ("01", "13", "36")}, (3, 4, 5))
HL = SegSpec("HL", 1, 1, {}, (1, 3))
EQ_LOOP = LoopSpec("2110", (
    SegSpec("EQ", 1, 1, {}, (1,)),
    SegSpec("AMT", 0, 1, {1: ("R", "PB")}, (1, 2)),
    SegSpec("III", 0, 1),
    SegSpec("REF", 0, 1, {1: ("9F", "G1")}, (1, 2)),
    SegSpec("DTP", 0, 1, {1: ("291",), 2: ("D8", "RD8")}, (3,), _date_check),
))


def _person_loop(name: str, nm101: tuple[str, ...], needs_eq: bool) -> LoopSpec:
    return LoopSpec(name, (
        HL,
        SegSpec("TRN", 0, 2, {1: ("1",)}, (2, 3)),
        SegSpec("NM1", 1, 1, {1: nm101, 2: ("1",)}),
        SegSpec("REF", 0, 9, {}, (1, 2)),
        SegSpec("N3", 0, 1, {}, (1,)),
        SegSpec("N4", 0, 1, {}, (1,)),
        SegSpec("PRV", 0, 1, {}, (1,)),
        SegSpec("DMG", 0, 1, {1: ("D8",)}, (2,), _dmg_check),
        SegSpec("INS", 0, 1, {}, (1, 2)),
        SegSpec("HI", 0, 1),
        SegSpec("DTP", 0, 2, {1: DATE_QUALIFIERS, 2: ("D8", "RD8")}, (3,), _date_check),
    ), EQ_LOOP, 1 if needs_eq else 0)


PAYER_LOOP = LoopSpec("2000A", (
    SegSpec("HL", 1, 1, {3: ("20",), 4: ("1",)}, (1,)),
    SegSpec("NM1", 1, 1, {1: ("2B", "36", "GP", "P5", "PR"), 2: ("1", "2"),
                          8: PAYER_ID_QUALIFIERS}, (3, 9)),
))
PROVIDER_LOOP = LoopSpec("2000B", (
    SegSpec("HL", 1, 1, {3: ("21",), 4: ("1",)}, (1, 2)),
    SegSpec("NM1", 1, 1, {1: ("1P", "2B", "36", "80", "FA", "GP", "P5", "PR"),
                          2: ("1", "2"), 8: PROVIDER_ID_QUALIFIERS}, (3, 9)),
    SegSpec("REF", 0, 9, {}, (1, 2)),
    SegSpec("N3", 0, 1, {}, (1,)),
    SegSpec("N4", 0, 1, {}, (1,)),
    SegSpec("PRV", 0, 1, {}, (1,)),
))


def validate_270_transaction(ts: TransactionSet) -> list[ValidationError]:
    errors: list[ValidationError] = []
    check_envelope_ids(ts, "270", VERSION, errors)
    header, nodes = split_hl(ts)
    if not header or header[0][1][0] != "BHT":
        errors.append(ValidationError("BHT must follow ST", position=ts.start_position + 1,
                                      segment_id=header[0][1][0] if header else "HL",
                                      expected="BHT"))
    else:
        check_segment(BHT, header[0][1], header[0][0], errors, "header")
        for pos, els in header[1:]:
            errors.append(ValidationError("unexpected segment before the first HL",
                                          position=pos, segment_id=els[0], expected="HL"))
    if not nodes:
        errors.append(ValidationError("no HL loops", position=ts.start_position,
                                      segment_id="ST", expected="HL*1**20*1"))
        return errors
    check_hl_tree(nodes, {"20": (), "21": ("20",), "22": ("21",), "23": ("22",)}, errors)
    levels = [n.level for n in nodes]
    for code, name in (("20", "2000A"), ("21", "2000B"), ("22", "2000C")):
        if code not in levels:
            errors.append(ValidationError(f"required loop {name} missing",
                                          position=ts.start_position, segment_id="HL",
                                          element=3, expected=code))
    for node in nodes:
        if node.level == "20":
            check_sequence(node.segments, PAYER_LOOP, errors)
        elif node.level == "21":
            check_sequence(node.segments, PROVIDER_LOOP, errors)
        elif node.level == "22":
            if node.child_code not in ("0", "1"):
                errors.append(ValidationError("HL04 must be 0 or 1", position=node.pos,
                                              segment_id="HL", element=4, expected="0 or 1",
                                              found=node.child_code))
            spec = _person_loop("2000C", ("IL",), node.child_code == "0")
            check_sequence(node.segments, spec, errors)
            _check_nm1_id(node.segments, errors)
        elif node.level == "23":
            if node.child_code not in ("", "0"):
                errors.append(ValidationError("dependent HL04 must be 0", position=node.pos,
                                              segment_id="HL", element=4, expected="0",
                                              found=node.child_code))
            check_sequence(node.segments, _person_loop("2000D", ("03",), True), errors)
    return errors


def _check_nm1_id(segs: list[tuple[int, list[str]]], errors: list[ValidationError]) -> None:
    for pos, els in segs:
        if els[0] == "NM1" and (element(els, 8) != "MI" or not element(els, 9)):
            errors.append(ValidationError("subscriber needs member id (NM108=MI, NM109)",
                                          position=pos, segment_id="NM1", element=8,
                                          expected="MI", found=element(els, 8)))


def validate_270(source: Source | str) -> list[ValidationError]:
    """Validate every 270 in ``source`` (X12 text as ``str``, bytes, path or file object)."""
    if isinstance(source, str) and source.lstrip("\ufeff \r\n\t").startswith("ISA"):
        reader = X12Reader.from_text(source)
    else:
        reader = X12Reader(source)  # type: ignore[arg-type]
    errors: list[ValidationError] = []
    try:
        for ts in reader:
            errors += validate_270_transaction(ts)
    except X12Error as exc:
        errors.append(ValidationError(exc.message, position=exc.position,
                                      segment_id=exc.segment_id, element=exc.element,
                                      expected=exc.expected, found=exc.found))
    errors += [ValidationError(e.message, position=e.position, segment_id=e.segment_id,
                               element=e.element, expected=e.expected, found=e.found)
               for e in reader.errors if all(e.position != x.position for x in errors)]
    return errors
