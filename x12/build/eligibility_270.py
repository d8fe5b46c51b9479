"""Build 270 eligibility inquiries (005010X279A1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from x12.build.common import address_segments, d8, dtp, require
from x12.envelope import Envelope, Segment, serialize
from x12.models import Address

VERSION = "005010X279A1"


def _now() -> dt.datetime:
    """Default creation time: now, to the minute (callers may pass their own)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


@dataclass(slots=True)
class InquiryPayer:
    """2100A information source."""

    name: str
    payer_id: str


@dataclass(slots=True)
class InquiryProvider:
    """2100B information receiver (the provider asking)."""

    name: str
    npi: str
    first_name: str | None = None
    organization: bool = True


@dataclass(slots=True)
class InquiryPerson:
    """2100C subscriber or 2100D dependent."""

    last_name: str
    first_name: str
    birth_date: dt.date | None = None
    gender: str | None = None
    member_id: str | None = None  # required for the subscriber
    address: Address | None = None
    relationship: str | None = None  # dependent INS02 (e.g. 19 child, 01 spouse)


@dataclass(slots=True)
class EligibilityInquiry:
    """One inquiry: subscriber, optional dependent, service types and date."""

    payer: InquiryPayer
    provider: InquiryProvider
    subscriber: InquiryPerson
    trace_number: str
    service_types: list[str] = field(default_factory=lambda: ["30"])
    date: dt.date | None = None  # DTP*291
    dependent: InquiryPerson | None = None
    trace_originator: str = "9OASYSBILL"  # TRN03: 1 + EIN, or 9 + other id
    reference_id: str = "0001"
    created: dt.datetime = field(default_factory=_now)


def eligibility_270_body(inq: EligibilityInquiry) -> list[Segment]:
    require(bool(inq.subscriber.member_id), "the subscriber needs a member id")
    require(1 <= len(inq.service_types) <= 99, "1 to 99 service type codes")
    p = inq.provider
    body: list[Segment] = [
        ["BHT", "0022", "13", inq.reference_id, d8(inq.created.date()),
         inq.created.strftime("%H%M")],
        ["HL", "1", None, "20", "1"],
        ["NM1", "PR", "2", inq.payer.name, None, None, None, None, "PI", inq.payer.payer_id],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2" if p.organization else "1", p.name,
         None if p.organization else p.first_name, None, None, None, "XX", p.npi],
        ["HL", "3", "2", "22", "1" if inq.dependent else "0"],
    ]
    trn: Segment = ["TRN", "1", inq.trace_number, inq.trace_originator]
    s = inq.subscriber
    if inq.dependent is None:
        body.append(trn)
    body.append(["NM1", "IL", "1", s.last_name, s.first_name, None, None, None, "MI",
                 s.member_id])
    body += address_segments(s.address)
    if s.birth_date:
        body.append(["DMG", "D8", d8(s.birth_date), s.gender])
    eq_part: list[Segment] = []
    if inq.date:
        eq_part.append(dtp("291", inq.date))
    eq_part += [["EQ", code] for code in inq.service_types]
    if inq.dependent is None:
        body += eq_part
        return body
    d = inq.dependent
    body += [["HL", "4", "3", "23", "0"], trn,
             ["NM1", "03", "1", d.last_name, d.first_name]]
    body += address_segments(d.address)
    if d.birth_date:
        body.append(["DMG", "D8", d8(d.birth_date), d.gender])
    if d.relationship:
        body.append(["INS", "N", d.relationship])
    body += eq_part
    return body


def build_270(inquiries: EligibilityInquiry | list[EligibilityInquiry],
              envelope: Envelope) -> str:
    """Serialise one or more inquiries, one transaction set each, in one interchange."""
    items = inquiries if isinstance(inquiries, list) else [inquiries]
    return serialize(envelope, "HS", VERSION, [eligibility_270_body(i) for i in items], "270")
