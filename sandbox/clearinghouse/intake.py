"""Reading a submitted 837P: its claims, and the 999 that acknowledges the file.

The x12 reader finds envelope and syntax problems; the 837 summary gives the claims; one
extra pass picks what the summary leaves out (payer, billing tax id, submitter).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from x12.build.ack_999 import Ack999, ElementError, SegmentError, TransactionAck, build_999
from x12.envelope import Envelope
from x12.errors import EnvelopeError, X12Error
from x12.parse.requests import summarize_837
from x12.reader import Interchange, TransactionSet, X12Reader, element

SIMULATOR_ID = "STEDI"


@dataclass(slots=True)
class Intake:
    interchange: Interchange | None = None
    claims: list[dict[str, Any]] = field(default_factory=list)
    acks: list[Ack999] = field(default_factory=list)
    rejected: bool = False


def npi_valid(npi: str) -> bool:
    """The NPI check digit (Luhn over 80840 + the first nine digits)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def _extras(ts: TransactionSet) -> list[dict[str, str]]:
    """Per CLM in order: payer id/name, billing tax id, submitter id, frequency."""
    out: list[dict[str, str]] = []
    payer: dict[str, str] = {}
    tax_id = submitter = ""
    in_claim = False
    for els in ts.segments:
        sid = els[0]
        if sid == "HL":
            in_claim = False
        elif sid == "NM1" and element(els, 1) == "41":
            submitter = element(els, 9)
        elif sid == "NM1" and element(els, 1) == "PR" and not in_claim:
            payer = {"payer_id": element(els, 9), "payer_name": element(els, 3)}
        elif sid == "REF" and element(els, 1) in ("EI", "SY") and not in_claim:
            tax_id = element(els, 2)
        elif sid == "CLM":
            in_claim = True
            out.append({**payer, "billing_tax_id": tax_id, "submitter_id": submitter})
    return out


def _clean(value: object) -> str | None:
    """A bad value echoed in IK404 must not carry delimiters."""
    if value in (None, ""):
        return None
    return "".join(c for c in str(value) if c.isalnum() or c in " .-/")[:99] or None


def _segment_errors(ts: TransactionSet, errors: list[X12Error]) -> list[SegmentError]:
    out: list[SegmentError] = []
    for err in errors:
        if isinstance(err, EnvelopeError) or err.position is None:
            continue
        pos = err.position - ts.start_position + 1
        seg = SegmentError(err.segment_id or "UNK", max(pos, 1), "8")
        if err.element is not None:
            seg.elements.append(ElementError(err.element, "7" if err.expected else "6",
                                             bad_value=_clean(err.found)))
        out.append(seg)
    return out[:20]


def _semantic_errors(ts: TransactionSet) -> list[SegmentError]:
    """What a clearinghouse's front-end edits catch beyond syntax."""
    out: list[SegmentError] = []
    for i, els in enumerate(ts.segments, start=1):
        if els[0] != "NM1" or element(els, 1) not in ("85", "IL"):
            continue
        if not element(els, 9):
            out.append(SegmentError("NM1", i, "8", None, [ElementError(9, "1", None, "67")]))
        elif element(els, 1) == "85" and not npi_valid(element(els, 9)):
            out.append(SegmentError("NM1", i, "8", None,
                                    [ElementError(9, "7", None, "67", _clean(element(els, 9)))]))
    return out


def _ik5_codes(errors: list[X12Error]) -> list[str]:
    codes: list[str] = []
    for err in errors:
        msg = err.message
        code = ("2" if "no SE" in msg or "ends inside" in msg else
                "3" if "SE02" in msg else "4" if "SE01" in msg else "5")
        if code not in codes:
            codes.append(code)
    return codes[:5] or ["5"]


def read_submission(text: str) -> Intake:
    """Claims and 999 acknowledgments for ``text``; raises X12Error when no ISA is readable."""
    reader = X12Reader.from_text(text)
    intake = Intake()
    groups: dict[int, tuple[Any, list[TransactionAck]]] = {}
    for ts in reader:
        intake.interchange = intake.interchange or ts.interchange
        errors = list(ts.errors)
        summary = None
        if ts.set_id != "837":
            errors.append(X12Error("not an 837 transaction set", segment_id="ST", element=1))
        else:
            try:
                summary = summarize_837(ts)
            except X12Error as exc:
                errors.append(exc)
        seg_errors = _segment_errors(ts, errors) + _semantic_errors(ts)
        rejected = bool(errors) or bool(seg_errors)
        ack = TransactionAck(ts.set_id or "837", ts.control_number, "R" if rejected else "A",
                             ts.implementation or None,
                             _ik5_codes(errors) if rejected else [], seg_errors)
        key = id(ts.group)
        groups.setdefault(key, (ts.group, []))[1].append(ack)
        if rejected or summary is None:
            intake.rejected = True
            continue
        for claim, extra in zip(summary.data["claims"], _extras(ts), strict=False):
            intake.claims.append({**claim, **extra,
                                  "interchange_sender": ts.interchange.sender})
    if not groups:
        if reader.errors:
            raise reader.errors[0]
        raise X12Error("the file holds no transaction set", expected="ST")
    for group, acks in groups.values():
        intake.acks.append(Ack999(
            group.functional_id if group else "HC", group.control_number if group else "0",
            group.version if group else "005010X222A1", acks))
    if reader.errors and not intake.rejected:
        # interchange/group level problems (GE/IEA counts): reject the whole group
        intake.rejected = True
        intake.claims = []
        for ack in intake.acks:
            for t in ack.transactions:
                t.status, t.error_codes = "R", _ik5_codes(reader.errors)
    return intake


def envelope_for(store, receiver_id: str, created: dt.datetime, sender: str = SIMULATOR_ID
                 ) -> Envelope:
    number = store.next_number("interchange")
    return Envelope(sender_id=sender[:15], receiver_id=(receiver_id or "UNKNOWN")[:15],
                    interchange_control_number=number, group_control_number=number,
                    created=created.replace(tzinfo=None), usage="T")


def build_ack(store, intake: Intake, created: dt.datetime) -> str:
    receiver = intake.interchange.sender if intake.interchange else ""
    return build_999(intake.acks, envelope_for(store, receiver, created))
