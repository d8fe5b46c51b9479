"""Build 276 claim status inquiries (005010X212)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from x12.build.common import amount, d8, dtp, require
from x12.envelope import Envelope, Segment, serialize

VERSION = "005010X212"


def _now() -> dt.datetime:
    """Default creation time: now, to the minute (callers may pass their own)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


@dataclass(slots=True)
class StatusClaim:
    """One claim asked about (loop 2200D/2200E)."""

    trace_number: str  # TRN02
    patient_control_number: str | None  # REF*EJ
    charge: Decimal  # AMT*T1
    service_from: dt.date  # DTP*472
    service_to: dt.date | None = None
    payer_claim_number: str | None = None  # REF*1K


@dataclass(slots=True)
class StatusSubscriber:
    """2100D subscriber; optionally the dependent patient (2100E)."""

    member_id: str
    last_name: str
    first_name: str
    birth_date: dt.date | None = None
    gender: str | None = None
    dependent_last_name: str | None = None
    dependent_first_name: str | None = None
    dependent_birth_date: dt.date | None = None
    dependent_gender: str | None = None


@dataclass(slots=True)
class StatusInquiry:
    """A 276: one payer, one information receiver, one provider, claims per subscriber."""

    payer_name: str
    payer_id: str
    receiver_name: str  # 2100B information receiver (submitter)
    receiver_id: str
    provider_name: str  # 2100C service provider (organisation)
    provider_npi: str
    subscribers: list[tuple[StatusSubscriber, list[StatusClaim]]]
    reference_id: str = "0001"
    created: dt.datetime = field(default_factory=_now)


def _claim(c: StatusClaim) -> list[Segment]:
    segs: list[Segment] = [["TRN", "1", c.trace_number]]
    if c.payer_claim_number:
        segs.append(["REF", "1K", c.payer_claim_number])
    if c.patient_control_number:
        segs.append(["REF", "EJ", c.patient_control_number])
    segs.append(["AMT", "T1", amount(c.charge)])
    segs.append(dtp("472", c.service_from, c.service_to))
    return segs


def status_276_body(inq: StatusInquiry) -> list[Segment]:
    require(len(inq.subscribers) > 0, "a 276 needs at least one subscriber")
    body: list[Segment] = [
        ["BHT", "0010", "13", inq.reference_id, d8(inq.created.date()),
         inq.created.strftime("%H%M")],
        ["HL", "1", None, "20", "1"],
        ["NM1", "PR", "2", inq.payer_name, None, None, None, None, "PI", inq.payer_id],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "41", "2", inq.receiver_name, None, None, None, None, "46", inq.receiver_id],
        ["HL", "3", "2", "19", "1"],
        ["NM1", "1P", "2", inq.provider_name, None, None, None, None, "XX", inq.provider_npi],
    ]
    hl = 3
    for sub, claims in inq.subscribers:
        require(len(claims) > 0, "each subscriber needs at least one claim")
        dependent = sub.dependent_last_name is not None
        hl += 1
        sub_hl = hl
        body.append(["HL", str(sub_hl), "3", "22", "1" if dependent else "0"])
        if sub.birth_date and not dependent:
            body.append(["DMG", "D8", d8(sub.birth_date), sub.gender])
        body.append(["NM1", "IL", "1", sub.last_name, sub.first_name, None, None, None, "MI",
                     sub.member_id])
        if not dependent:
            for c in claims:
                body += _claim(c)
            continue
        hl += 1
        body.append(["HL", str(hl), str(sub_hl), "23"])
        if sub.dependent_birth_date:
            body.append(["DMG", "D8", d8(sub.dependent_birth_date), sub.dependent_gender])
        body.append(["NM1", "QC", "1", sub.dependent_last_name, sub.dependent_first_name])
        for c in claims:
            body += _claim(c)
    return body


def build_276(inquiry: StatusInquiry, envelope: Envelope) -> str:
    return serialize(envelope, "HR", VERSION, [status_276_body(inquiry)], "276")
