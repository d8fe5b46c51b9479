"""Parse 999 implementation acknowledgments (005010X231A1), with codes in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from x12.codes import meaning
from x12.codes.ack import (
    AK9_GROUP_ERRORS,
    AK9_STATUS,
    IK3_SEGMENT_ERRORS,
    IK4_ELEMENT_ERRORS,
    IK5_STATUS,
    IK5_TRANSACTION_ERRORS,
)
from x12.errors import ParseError
from x12.parse.common import el, require_set
from x12.reader import TransactionSet

_OUTCOME = {"A": "accepted", "E": "accepted_with_errors", "P": "partially_accepted"}


def outcome(code: str) -> str:
    """accepted / accepted_with_errors / partially_accepted / rejected."""
    return _OUTCOME.get(code, "rejected")


@dataclass(slots=True)
class ElementNote:
    """IK4."""

    position: str
    component: str | None
    repetition: str | None
    data_element: str | None
    code: str
    bad_value: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "component": self.component,
                "repetition": self.repetition, "data_element": self.data_element,
                "code": self.code, "meaning": meaning(IK4_ELEMENT_ERRORS, self.code),
                "bad_value": self.bad_value}


@dataclass(slots=True)
class SegmentNote:
    """IK3 with its CTX and IK4 segments."""

    segment_id: str
    position: str
    loop_id: str | None
    code: str | None
    elements: list[ElementNote] = field(default_factory=list)
    context: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"segment_id": self.segment_id, "position": self.position,
                "loop_id": self.loop_id, "code": self.code,
                "meaning": meaning(IK3_SEGMENT_ERRORS, self.code),
                "context": list(self.context),
                "elements": [e.to_dict() for e in self.elements]}


@dataclass(slots=True)
class TransactionSetAck:
    """AK2 .. IK5."""

    set_id: str
    control_number: str
    implementation: str | None
    status: str | None = None
    error_codes: list[str] = field(default_factory=list)
    segments: list[SegmentNote] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return outcome(self.status or "")

    def to_dict(self) -> dict[str, Any]:
        return {"set_id": self.set_id, "control_number": self.control_number,
                "implementation": self.implementation, "status": self.status,
                "status_meaning": meaning(IK5_STATUS, self.status),
                "outcome": self.outcome,
                "errors": [{"code": c, "meaning": meaning(IK5_TRANSACTION_ERRORS, c)}
                           for c in self.error_codes],
                "segments": [s.to_dict() for s in self.segments]}


@dataclass(slots=True)
class FunctionalGroupAck:
    """One parsed 999 transaction set (AK1 .. AK9)."""

    control_number: str
    functional_id: str
    group_control_number: str
    version: str | None
    transactions: list[TransactionSetAck]
    status: str | None = None
    included: int | None = None
    received: int | None = None
    accepted: int | None = None
    error_codes: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return outcome(self.status or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "999", "control_number": self.control_number,
            "functional_id": self.functional_id,
            "group_control_number": self.group_control_number, "version": self.version,
            "status": self.status, "status_meaning": meaning(AK9_STATUS, self.status),
            "outcome": self.outcome, "included": self.included, "received": self.received,
            "accepted": self.accepted,
            "errors": [{"code": c, "meaning": meaning(AK9_GROUP_ERRORS, c)}
                       for c in self.error_codes],
            "transactions": [t.to_dict() for t in self.transactions],
        }


def _int(els: list[str], i: int, pos: int) -> int | None:
    text = el(els, i)
    if text == "":
        return None
    if not text.isdigit():
        raise ParseError("not a count", position=pos, segment_id=els[0], element=i,
                         expected="digits", found=text)
    return int(text)


def parse_999(ts: TransactionSet) -> FunctionalGroupAck:
    require_set(ts, "999")
    comp = ts.delimiters.component
    result: FunctionalGroupAck | None = None
    current: TransactionSetAck | None = None
    seg_note: SegmentNote | None = None
    pos = ts.start_position
    for els in ts.segments:
        sid = els[0]
        if sid == "AK1":
            result = FunctionalGroupAck(ts.control_number, el(els, 1), el(els, 2),
                                        el(els, 3) or None, [])
        elif result is None and sid not in ("ST", "SE"):
            raise ParseError("999 segment before AK1", position=pos, segment_id=sid,
                             expected="AK1")
        elif sid == "AK2" and result is not None:
            current = TransactionSetAck(el(els, 1), el(els, 2), el(els, 3) or None)
            result.transactions.append(current)
            seg_note = None
        elif sid == "IK3":
            if current is None:
                raise ParseError("IK3 outside AK2", position=pos, segment_id="IK3",
                                 expected="AK2 first")
            seg_note = SegmentNote(el(els, 1), el(els, 2), el(els, 3) or None,
                                   el(els, 4) or None)
            current.segments.append(seg_note)
        elif sid == "CTX":
            if seg_note is not None:
                seg_note.context.append(els[1] if len(els) > 1 else "")
        elif sid == "IK4":
            if seg_note is None:
                raise ParseError("IK4 outside IK3", position=pos, segment_id="IK4",
                                 expected="IK3 first")
            parts = el(els, 1).split(comp)
            seg_note.elements.append(ElementNote(
                parts[0], parts[1] if len(parts) > 1 and parts[1] else None,
                parts[2] if len(parts) > 2 and parts[2] else None, el(els, 2) or None,
                el(els, 3), el(els, 4) or None))
        elif sid == "IK5":
            if current is None:
                raise ParseError("IK5 outside AK2", position=pos, segment_id="IK5",
                                 expected="AK2 first")
            current.status = el(els, 1)
            current.error_codes = [c for c in els[2:7] if c]
            seg_note = None
        elif sid == "AK9" and result is not None:
            result.status = el(els, 1)
            result.included = _int(els, 2, pos)
            result.received = _int(els, 3, pos)
            result.accepted = _int(els, 4, pos)
            result.error_codes = [c for c in els[5:10] if c]
        pos += 1
    if result is None:
        raise ParseError("999 has no AK1 segment", position=ts.start_position,
                         segment_id="ST", expected="AK1")
    return result
