"""Build 999 implementation acknowledgments (005010X231A1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from x12.build.common import require
from x12.envelope import Envelope, Segment, serialize

VERSION = "005010X231A1"


@dataclass(slots=True)
class ElementError:
    """IK4: an element in error (position in segment, optional component, code, bad value)."""

    position: int
    code: str  # IK403, e.g. 1 required element missing, 7 invalid code value
    component: int | None = None
    data_element: str | None = None  # IK402 data element reference number
    bad_value: str | None = None


@dataclass(slots=True)
class SegmentError:
    """IK3 (and its IK4s): a segment in error."""

    segment_id: str
    position: int  # position in the transaction set, ST = 1
    code: str  # IK304, e.g. 8 segment has data element errors
    loop_id: str | None = None
    elements: list[ElementError] = field(default_factory=list)


@dataclass(slots=True)
class TransactionAck:
    """AK2..IK5 for one acknowledged transaction set."""

    set_id: str  # e.g. 837
    control_number: str  # ST02 of the acknowledged set
    status: str  # IK501: A accepted, E accepted with errors, R rejected, M, W, X
    implementation: str | None = None  # ST03 of the acknowledged set
    error_codes: list[str] = field(default_factory=list)  # IK502..IK506
    segments: list[SegmentError] = field(default_factory=list)


@dataclass(slots=True)
class Ack999:
    """One 999 for one received functional group."""

    functional_id: str  # AK101, e.g. HC
    group_control_number: str  # AK102 = GS06 received
    version: str  # AK103 = GS08 received
    transactions: list[TransactionAck]
    status: str | None = None  # AK901; computed when None
    received_count: int | None = None  # AK903; defaults to len(transactions)
    group_error_codes: list[str] = field(default_factory=list)  # AK905..


def group_status(transactions: list[TransactionAck]) -> str:
    """A when all accepted, R when all rejected, P when some rejected, E if errors noted."""
    rejected = sum(1 for t in transactions if t.status in ("R", "M", "W", "X"))
    if transactions and rejected == len(transactions):
        return "R"
    if rejected:
        return "P"
    if any(t.status == "E" for t in transactions):
        return "E"
    return "A"


def ack_999_body(ack: Ack999) -> list[Segment]:
    require(len(ack.group_error_codes) <= 5, "at most 5 AK9 error codes")
    body: list[Segment] = [["AK1", ack.functional_id, ack.group_control_number, ack.version]]
    for t in ack.transactions:
        require(t.status in ("A", "E", "M", "R", "W", "X"), "IK501 status", found=t.status)
        require(len(t.error_codes) <= 5, "at most 5 IK5 error codes")
        body.append(["AK2", t.set_id, t.control_number, t.implementation])
        for s in t.segments:
            body.append(["IK3", s.segment_id, str(s.position), s.loop_id, s.code])
            for e in s.elements:
                pos: str | tuple[str | None, ...] = str(e.position)
                if e.component is not None:
                    pos = (str(e.position), str(e.component))
                body.append(["IK4", pos, e.data_element, e.code, e.bad_value])
        body.append(["IK5", t.status, *t.error_codes])
    status = ack.status or group_status(ack.transactions)
    accepted = sum(1 for t in ack.transactions if t.status in ("A", "E"))
    received = ack.received_count if ack.received_count is not None else len(ack.transactions)
    body.append(["AK9", status, str(len(ack.transactions)), str(received), str(accepted),
                 *ack.group_error_codes])
    return body


def build_999(acks: Ack999 | list[Ack999], envelope: Envelope) -> str:
    items = acks if isinstance(acks, list) else [acks]
    return serialize(envelope, "FA", VERSION, [ack_999_body(a) for a in items], "999")
