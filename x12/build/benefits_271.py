"""Build 271 eligibility responses (005010X279A1) from plain dataclasses.

The mirror of :mod:`x12.build.eligibility_270`: what an information source (a payer, or a
payer simulator) answers.  Entry points: :func:`build_271` and :func:`benefits_271_body`.
The tree is information source (HL 20) -> receiver (HL 21) -> subscriber (HL 22) ->
optional dependent (HL 23); benefits (EB, loop 2110C/D) go under the patient's level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from x12.build.common import address_segments, amount, d8, dtp, require
from x12.envelope import Envelope, Segment, serialize
from x12.models import Address
from x12.values import x12_number

VERSION = "005010X279A1"


@dataclass(slots=True)
class Rejection:
    """AAA: the request (or part of it) could not be answered."""

    reason: str  # AAA03, e.g. 42 unable to respond now, 72 invalid member id, 75 not found
    follow_up: str = "C"  # AAA04: C correct and resubmit, R resubmit, N do not resubmit
    valid_request: str = "N"  # AAA01: Y or N


@dataclass(slots=True)
class QuantityLimit:
    """HSD: e.g. 20 visits (VS) per calendar year (time period 23)."""

    qualifier: str  # HSD01, e.g. VS visits
    quantity: Decimal
    time_period: str | None = None  # HSD05, e.g. 23 calendar year, 29 remaining
    periods: Decimal | None = None  # HSD06


@dataclass(slots=True)
class RelatedEntity:
    """Loop 2120: another party for this benefit, e.g. the payer a benefit is carved out to."""

    code: str  # NM101, e.g. PR payer, P3 primary care provider, VN vendor
    name: str
    id: str | None = None
    id_qualifier: str | None = "PI"
    phone: str | None = None


@dataclass(slots=True)
class BenefitInfo:
    """One EB segment (loop 2110C or 2110D) and what follows it."""

    code: str  # EB01: 1 active, 6 inactive, A coinsurance, B copay, C deductible, F limits...
    coverage_level: str | None = None  # EB02: IND, FAM
    service_types: tuple[str, ...] = ()  # EB03 (repeated): 30, MH, A4, A6, A7, A8...
    insurance_type: str | None = None  # EB04, e.g. HM, PR, C1
    plan: str | None = None  # EB05
    time_period: str | None = None  # EB06: 23 calendar year, 29 remaining, 27 visit
    amount: Decimal | None = None  # EB07
    percent: Decimal | None = None  # EB08, 0.2 for 20 percent
    quantity_qualifier: str | None = None  # EB09
    quantity: Decimal | None = None  # EB10
    authorization_required: str | None = None  # EB11: Y, N, U
    network: str | None = None  # EB12: Y in network, N out of network, W both, U unknown
    limits: list[QuantityLimit] = field(default_factory=list)
    dates: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)  # DTP
    messages: list[str] = field(default_factory=list)  # MSG
    related: RelatedEntity | None = None  # LS/LE 2120


@dataclass(slots=True)
class Person:
    """Subscriber (2100C) or dependent (2100D) as the information source knows them."""

    last_name: str
    first_name: str | None = None
    member_id: str | None = None  # subscribers only (NM109 MI)
    birth_date: dt.date | None = None
    gender: str | None = None
    address: Address | None = None
    relationship: str | None = None  # dependents: INS02, e.g. 19 child


@dataclass(slots=True)
class EligibilityAnswer:
    """One 271 transaction set answering one 270 subscriber (and dependent)."""

    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    subscriber: Person
    trace_number: str  # TRN02 echoed from the 270 (TRN01 becomes 2)
    trace_originator: str = "9OASYSBILL"  # TRN03 echoed from the 270
    dependent: Person | None = None
    benefits: list[BenefitInfo] = field(default_factory=list)
    payer_rejections: list[Rejection] = field(default_factory=list)  # 2100A AAA
    member_rejections: list[Rejection] = field(default_factory=list)  # 2100C/D AAA
    plan_begin: dt.date | None = None  # DTP*346
    plan_end: dt.date | None = None  # DTP*347
    group_number: str | None = None  # REF*6P
    provider_organization: bool = True
    reference_id: str = "0001"  # BHT03, normally the 270's BHT03
    created: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 1, 2, 9, 30))


def _aaa(r: Rejection) -> Segment:
    require(r.valid_request in ("Y", "N"), "AAA01 must be Y or N", found=r.valid_request)
    require(bool(r.reason), "AAA03 reject reason is required")
    return ["AAA", r.valid_request, None, r.reason, r.follow_up]


def _benefit(b: BenefitInfo) -> list[Segment]:
    """One EB loop per service type, each complete with its HSD, DTP, MSG and 2120: the
    serializer refuses repetition separators inside values, and one EB per service type is
    what many payers send anyway."""
    require(bool(b.code), "EB01 is required")
    require(len(b.service_types) <= 99, "at most 99 service types per EB")
    segs: list[Segment] = []
    for stc in b.service_types or (None,):
        segs.append([
            "EB", b.code, b.coverage_level, stc, b.insurance_type, b.plan, b.time_period,
            None if b.amount is None else amount(b.amount),
            None if b.percent is None else x12_number(b.percent), b.quantity_qualifier,
            None if b.quantity is None else x12_number(b.quantity), b.authorization_required,
            b.network,
        ])
        for lim in b.limits:
            segs.append(["HSD", lim.qualifier, x12_number(lim.quantity), None, None,
                         lim.time_period,
                         None if lim.periods is None else x12_number(lim.periods)])
        for qual, start, end in b.dates:
            segs.append(dtp(qual, start, end))
        for text in b.messages:
            segs.append(["MSG", text[:264]])
        if b.related is not None:
            r = b.related
            segs.append(["LS", "2120"])
            segs.append(["NM1", r.code, "2", r.name, None, None, None, None,
                         r.id_qualifier if r.id else None, r.id])
            if r.phone:
                segs.append(["PER", "IC", None, "TE", r.phone])
            segs.append(["LE", "2120"])
    return segs


def _member(p: Person, code: str, ans: EligibilityAnswer, with_trn: bool) -> list[Segment]:
    segs: list[Segment] = []
    if with_trn:
        segs.append(["TRN", "2", ans.trace_number, ans.trace_originator])
    segs.append(["NM1", code, "1", p.last_name, p.first_name, None, None, None,
                 "MI" if p.member_id else None, p.member_id])
    if code == "IL" and ans.group_number:
        segs.append(["REF", "6P", ans.group_number])
    segs += address_segments(p.address)
    return segs


def _member_tail(p: Person, ans: EligibilityAnswer, rejections: list[Rejection],
                 benefits: list[BenefitInfo], dependent: bool) -> list[Segment]:
    segs: list[Segment] = [_aaa(r) for r in rejections]
    if p.birth_date:
        segs.append(["DMG", "D8", d8(p.birth_date), p.gender])
    if dependent and p.relationship:
        segs.append(["INS", "N", p.relationship])
    if ans.plan_begin and not rejections:
        if ans.plan_end:
            segs.append(["DTP", "291", "RD8", f"{d8(ans.plan_begin)}-{d8(ans.plan_end)}"])
        else:
            segs.append(["DTP", "346", "D8", d8(ans.plan_begin)])
    for b in benefits:
        segs += _benefit(b)
    return segs


def benefits_271_body(ans: EligibilityAnswer) -> list[Segment]:
    """Segments between ST and SE for ``ans``."""
    require(bool(ans.trace_number), "the 271 must echo the 270's trace number")
    has_dep = ans.dependent is not None
    body: list[Segment] = [
        ["BHT", "0022", "11", ans.reference_id, d8(ans.created.date()),
         ans.created.strftime("%H%M")],
        ["HL", "1", None, "20", "1"],
        ["NM1", "PR", "2", ans.payer_name, None, None, None, None, "PI", ans.payer_id],
    ]
    body += [_aaa(r) for r in ans.payer_rejections]
    body += [
        ["HL", "2", "1", "21", "1"],
        ["NM1", "1P", "2" if ans.provider_organization else "1", ans.provider_name,
         None, None, None, None, "XX", ans.provider_npi],
        ["HL", "3", "2", "22", "1" if has_dep else "0"],
    ]
    sub = ans.subscriber
    require(bool(sub.member_id), "the subscriber needs a member id")
    body += _member(sub, "IL", ans, with_trn=not has_dep)
    if not has_dep:
        body += _member_tail(sub, ans, ans.member_rejections, ans.benefits, False)
        return body
    body += _member_tail(sub, ans, [], [], False)
    dep = ans.dependent
    assert dep is not None  # for the type checker: has_dep
    body.append(["HL", "4", "3", "23", "0"])
    body += _member(dep, "03", ans, with_trn=True)
    body += _member_tail(dep, ans, ans.member_rejections, ans.benefits, True)
    return body


def build_271(answers: EligibilityAnswer | list[EligibilityAnswer], envelope: Envelope) -> str:
    """Serialise one or more answers, one transaction set each, in one interchange."""
    items = answers if isinstance(answers, list) else [answers]
    return serialize(envelope, "HB", VERSION, [benefits_271_body(a) for a in items], "271")
