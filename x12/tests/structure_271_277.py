"""Structural checks of 271 (005010X279A1) and 277 (005010X212) responses, for tests.

pyx12 4.0.0 cannot validate these: it ships no 5010 271 map, and its 277 X212 map is left
out of its index because it is broken (its GS block is the 820's, GS01 RA / GS08 X218, and
its HL loops are mis-nested).  So, like :mod:`x12.validate_270` and :mod:`x12.validate_276`
do for the requests, these check what the implementation guides require: envelope ids, BHT,
the HL tree, each loop's segments in order with their qualifiers and required elements, and
the code lists we emit.
"""

from __future__ import annotations

from x12.codes.claim_status import CLAIM_STATUS_CATEGORY
from x12.codes.eligibility import EB01_BENEFIT, SERVICE_TYPES
from x12.errors import ValidationError, X12Error
from x12.reader import TransactionSet, X12Reader, element
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

NETWORK = ("Y", "N", "W", "U", "")
YNU = ("Y", "N", "U", "")


def _eb_check(rep: str):
    def check(els: list[str], pos: int, errors: list[ValidationError]) -> None:
        if element(els, 1) not in EB01_BENEFIT:
            errors.append(ValidationError("EB01 not a benefit code", position=pos,
                                          segment_id="EB", element=1,
                                          found=element(els, 1)))
        for code in [c for c in element(els, 3).split(rep) if c]:
            if code not in SERVICE_TYPES:
                errors.append(ValidationError("EB03 not a service type code", position=pos,
                                              segment_id="EB", element=3, found=code))
        for i in (7, 8, 10):
            value = element(els, i)
            if value:
                try:
                    float(value)
                except ValueError:
                    errors.append(ValidationError("not a number", position=pos,
                                                  segment_id="EB", element=i, found=value))
    return check


def _eb_loop(rep: str) -> LoopSpec:
    return LoopSpec("2110", (
        SegSpec("EB", 1, 1, {2: ("IND", "FAM", "ESP", "CHD", "DEP", "ECH", "EMP", "SPC",
                                 "SPO", "TWO", ""), 11: YNU, 12: NETWORK}, (1,),
                _eb_check(rep)),
        SegSpec("HSD", 0, 9, {}, (1, 2)),
        SegSpec("REF", 0, 9, {}, (1, 2)),
        SegSpec("DTP", 0, 20, {2: ("D8", "RD8")}, (1, 3), _date_check),
        SegSpec("AAA", 0, 9, {1: ("Y", "N")}, (3, 4)),
        SegSpec("MSG", 0, 10, {}, (1,)),
        SegSpec("LS", 0, 1, {1: ("2120",)}, (1,)),
        SegSpec("NM1", 0, 23, {2: ("1", "2")}, (1,)),
        SegSpec("N3", 0, 1, {}, (1,)),
        SegSpec("N4", 0, 1, {}, (1,)),
        SegSpec("PER", 0, 3, {}, (1,)),
        SegSpec("PRV", 0, 1, {}, (1,)),
        SegSpec("LE", 0, 1, {1: ("2120",)}, (1,)),
    ))


def _member_loop(name: str, level: str, nm101: str, rep: str) -> LoopSpec:
    return LoopSpec(name, (
        SegSpec("HL", 1, 1, {3: (level,)}, (1, 2)),
        SegSpec("TRN", 0, 3, {1: ("1", "2")}, (2, 3)),
        SegSpec("NM1", 1, 1, {1: (nm101,), 2: ("1",)}, (3,)),
        SegSpec("REF", 0, 9, {}, (1, 2)),
        SegSpec("N3", 0, 1, {}, (1,)),
        SegSpec("N4", 0, 1, {}, (1,)),
        SegSpec("AAA", 0, 9, {1: ("Y", "N"), 4: ("C", "N", "P", "R", "S", "W", "X", "Y")},
                (1, 3, 4)),
        SegSpec("PRV", 0, 1),
        SegSpec("DMG", 0, 1, {1: ("D8",)}, (2,), _dmg_check),
        SegSpec("INS", 0, 1, {1: ("Y", "N")}, (1, 2)),
        SegSpec("HI", 0, 1),
        SegSpec("DTP", 0, 9, {2: ("D8", "RD8")}, (1, 3), _date_check),
        SegSpec("MPI", 0, 9),
    ), _eb_loop(rep), 0)


LOOPS_271 = {
    "20": LoopSpec("2000A", (
        SegSpec("HL", 1, 1, {3: ("20",), 4: ("1", "0")}, (1,)),
        SegSpec("AAA", 0, 9, {1: ("Y", "N")}, (3, 4)),
        SegSpec("NM1", 1, 1, {1: ("PR", "2B", "36", "GP", "P5"), 8: ("PI", "XV", "FI",
                                                                      "NI", "24", "46")},
                (3, 9)),
        SegSpec("PER", 0, 3),
        SegSpec("AAA", 0, 9, {1: ("Y", "N")}, (3, 4)),
    )),
    "21": LoopSpec("2000B", (
        SegSpec("HL", 1, 1, {3: ("21",)}, (1, 2)),
        SegSpec("NM1", 1, 1, {1: ("1P", "2B", "36", "80", "FA", "GP", "P5", "PR"),
                              8: ("XX", "PI", "FI", "SV", "34", "24", "PP", "XV")}, (3, 9)),
        SegSpec("REF", 0, 9), SegSpec("N3", 0, 1), SegSpec("N4", 0, 1),
        SegSpec("AAA", 0, 9, {1: ("Y", "N")}, (3, 4)),
        SegSpec("PRV", 0, 1),
    )),
}


def validate_271_transaction(ts: TransactionSet) -> list[ValidationError]:
    errors: list[ValidationError] = []
    check_envelope_ids(ts, "271", "005010X279A1", errors)
    header, nodes = split_hl(ts)
    if not header or header[0][1][0] != "BHT":
        errors.append(ValidationError("BHT must follow ST", position=ts.start_position + 1,
                                      expected="BHT"))
    else:
        check_segment(SegSpec("BHT", 1, 1, {1: ("0022",), 2: ("06", "11")}, (3, 4, 5)),
                      header[0][1], header[0][0], errors, "header")
    check_hl_tree(nodes, {"20": (), "21": ("20",), "22": ("21",), "23": ("22",)}, errors)
    rep = ts.delimiters.repetition
    for code in ("20", "21", "22"):
        if code not in [n.level for n in nodes]:
            errors.append(ValidationError("required HL level missing", segment_id="HL",
                                          element=3, expected=code))
    for node in nodes:
        if node.level in LOOPS_271:
            check_sequence(node.segments, LOOPS_271[node.level], errors)
        elif node.level == "22":
            check_sequence(node.segments, _member_loop("2000C", "22", "IL", rep), errors)
            nm1 = [els for _, els in node.segments if els[0] == "NM1"][:1]
            if nm1 and (element(nm1[0], 8) != "MI" or not element(nm1[0], 9)):
                errors.append(ValidationError("subscriber needs a member id",
                                              position=node.pos, segment_id="NM1", element=8,
                                              expected="MI"))
        elif node.level == "23":
            check_sequence(node.segments, _member_loop("2000D", "23", "03", rep), errors)
    return errors


def _stc_check(els: list[str], pos: int, errors: list[ValidationError]) -> None:
    for i in (1, 10, 11):
        value = element(els, i)
        if i > 1 and not value:
            continue
        category = value.split(":")[0]
        if category not in CLAIM_STATUS_CATEGORY:
            errors.append(ValidationError("STC category code unknown", position=pos,
                                          segment_id="STC", element=i, found=category))
        if len(value.split(":")) < 2 or not value.split(":")[1]:
            errors.append(ValidationError("STC status code missing", position=pos,
                                          segment_id="STC", element=i))
    _date_check(["DTP", "", "D8", element(els, 2)], pos, errors)


SERVICE_277 = LoopSpec("2220", (
    SegSpec("SVC", 1, 1, {}, (1, 2, 3)),
    SegSpec("STC", 1, 99, {}, (1,), _stc_check),
    SegSpec("REF", 0, 1, {1: ("FJ",)}, (2,)),
    SegSpec("DTP", 1, 1, {1: ("472",), 2: ("D8", "RD8")}, (3,), _date_check),
))
CLAIM_277 = LoopSpec("2200", (
    SegSpec("TRN", 1, 1, {1: ("2",)}, (2,)),
    SegSpec("STC", 1, 99, {}, (1, 2), _stc_check),
    SegSpec("REF", 0, 3, {1: ("1K", "BLT", "EA", "EJ")}, (2,)),
    SegSpec("DTP", 0, 1, {1: ("472",), 2: ("D8", "RD8")}, (3,), _date_check),
))


def _patient_277(name: str, level: str, nm101: str) -> LoopSpec:
    return LoopSpec(name, (
        SegSpec("HL", 1, 1, {3: (level,)}, (1, 2)),
        SegSpec("NM1", 1, 1, {1: (nm101,), 2: ("1", "2")}, (3,)),
    ))


def _split(segs: list[tuple[int, list[str]]], start: str) -> list[list[tuple[int, list[str]]]]:
    """Cut ``segs`` before each ``start`` segment; the part before the first one comes first."""
    parts: list[list[tuple[int, list[str]]]] = [[]]
    for item in segs:
        if item[1][0] == start:
            parts.append([])
        parts[-1].append(item)
    return parts


def _check_patient_277(node_segments: list[tuple[int, list[str]]], loop: LoopSpec,
                       needs_claim: bool, errors: list[ValidationError]) -> None:
    head, *claims = _split(node_segments, "TRN")
    check_sequence(head, loop, errors)
    if needs_claim and not claims:
        errors.append(ValidationError(f"loop {loop.name}: a claim (TRN) is required",
                                      position=head[0][0], segment_id="TRN"))
    for claim in claims:
        claim_part, *lines = _split(claim, "SVC")
        check_sequence(claim_part, CLAIM_277, errors)
        for line in lines:
            check_sequence(line, SERVICE_277, errors)


LOOPS_277 = {
    "20": LoopSpec("2000A", (SegSpec("HL", 1, 1, {3: ("20",), 4: ("1",)}, (1,)),
                             SegSpec("NM1", 1, 1, {1: ("PR",), 8: ("PI", "XV", "FI", "46")},
                                     (3, 9)),
                             SegSpec("PER", 0, 1))),
    "21": LoopSpec("2000B", (SegSpec("HL", 1, 1, {3: ("21",), 4: ("1",)}, (1, 2)),
                             SegSpec("NM1", 1, 1, {1: ("41",), 8: ("46", "FI", "XX")},
                                     (3, 9)))),
    "19": LoopSpec("2000C", (SegSpec("HL", 1, 1, {3: ("19",), 4: ("1",)}, (1, 2)),
                             SegSpec("NM1", 1, 1, {1: ("1P",), 8: ("FI", "SV", "XX")},
                                     (3, 9)))),
}


def validate_277_transaction(ts: TransactionSet) -> list[ValidationError]:
    errors: list[ValidationError] = []
    check_envelope_ids(ts, "277", "005010X212", errors)
    header, nodes = split_hl(ts)
    if not header or header[0][1][0] != "BHT":
        errors.append(ValidationError("BHT must follow ST", position=ts.start_position + 1,
                                      expected="BHT"))
    else:
        check_segment(SegSpec("BHT", 1, 1, {1: ("0010",), 2: ("08",), 6: ("DG",)},
                              (3, 4, 5, 6)), header[0][1], header[0][0], errors, "header")
    check_hl_tree(nodes, {"20": (), "21": ("20",), "19": ("21",), "22": ("19",),
                          "23": ("22",)}, errors)
    for node in nodes:
        if node.level in LOOPS_277:
            check_sequence(node.segments, LOOPS_277[node.level], errors)
        elif node.level == "22":
            _check_patient_277(node.segments, _patient_277("2000D", "22", "IL"),
                               node.child_code == "0", errors)
        elif node.level == "23":
            _check_patient_277(node.segments, _patient_277("2000E", "23", "QC"), True, errors)
    return errors


def _validate(text: str, one) -> list[ValidationError]:
    reader = X12Reader.from_text(text)
    errors: list[ValidationError] = []
    try:
        for ts in reader:
            errors += one(ts)
    except X12Error as exc:
        errors.append(ValidationError(exc.message, position=exc.position))
    errors += [ValidationError(e.message, position=e.position) for e in reader.errors]
    return errors


def validate_271_text(text: str) -> list[ValidationError]:
    return _validate(text, validate_271_transaction)


def validate_277_text(text: str) -> list[ValidationError]:
    return _validate(text, validate_277_transaction)


def assert_valid_271(text: str) -> None:
    errs = validate_271_text(text)
    assert not errs, "271 structure:\n" + "\n".join(str(e) for e in errs[:20]) + "\n" + text


def assert_valid_277(text: str) -> None:
    errs = validate_277_text(text)
    assert not errs, "277 structure:\n" + "\n".join(str(e) for e in errs[:20]) + "\n" + text
