"""Build 277 claim status responses (005010X212): the answer to a 276 inquiry.

Same tree as the 276 (payer 20 -> information receiver 21 -> service provider 19 ->
subscriber 22 -> optional dependent 23); each claim (loop 2200D/E) carries one or more STC
statuses, its references and dates, and optional service lines (loop 2220D/E).
Entry points: :func:`build_277` and :func:`status_277_body`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from x12.build.common import amount, d8, dtp, require
from x12.build.status_276 import StatusSubscriber
from x12.envelope import Envelope, Segment, serialize
from x12.values import x12_number

VERSION = "005010X212"

__all__ = ["ClaimStatusAnswer", "LineStatusAnswer", "StatusDetail", "StatusResponse",
           "StatusSubscriber", "build_277", "status_277_body"]


@dataclass(slots=True)
class StatusDetail:
    """One STC: category (STC01-1), status (STC01-2), optional entity (STC01-3)."""

    category: str  # e.g. A1, P1, P3, R3, F1, F2, F4
    code: str  # e.g. 20 accepted, 21 missing info, 65 paid, 35 not covered
    date: dt.date  # STC02 effective date
    charge: Decimal | None = None  # STC04
    paid: Decimal | None = None  # STC05
    entity: str | None = None
    adjudication_date: dt.date | None = None  # STC06
    payment_method: str | None = None  # STC07: ACH, CHK, NON, BOP, FWT
    check_date: dt.date | None = None  # STC08
    check_number: str | None = None  # STC09
    more: list[tuple[str, str, str | None]] = field(default_factory=list)  # STC10, STC11


@dataclass(slots=True)
class LineStatusAnswer:
    """Loop 2220: one service line's status."""

    procedure: str
    charge: Decimal
    paid: Decimal
    service_date: dt.date
    statuses: list[StatusDetail]
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    control_number: str | None = None  # REF*FJ


@dataclass(slots=True)
class ClaimStatusAnswer:
    """Loop 2200D (or 2200E): one claim's status."""

    trace_number: str  # TRN02 echoed from the 276
    statuses: list[StatusDetail]
    service_from: dt.date
    service_to: dt.date | None = None
    patient_control_number: str | None = None  # REF*EJ
    payer_claim_number: str | None = None  # REF*1K
    lines: list[LineStatusAnswer] = field(default_factory=list)


@dataclass(slots=True)
class StatusResponse:
    """A 277: one payer, one information receiver, one provider, claims per subscriber."""

    payer_name: str
    payer_id: str
    receiver_name: str
    receiver_id: str
    provider_name: str
    provider_npi: str
    subscribers: list[tuple[StatusSubscriber, list[ClaimStatusAnswer]]]
    reference_id: str = "0001"
    created: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 1, 2, 9, 30))


def _stc(s: StatusDetail, *, with_amounts: bool) -> Segment:
    require(bool(s.category) and bool(s.code), "STC01 needs a category and a status code")
    more: list[tuple[str, str, str | None] | None] = list(s.more[:2])
    while more and len(more) < 2:
        more.append(None)
    seg: Segment = [
        "STC", (s.category, s.code, s.entity), d8(s.date), None,
        amount(s.charge) if with_amounts and s.charge is not None else None,
        amount(s.paid) if with_amounts and s.paid is not None else None,
        d8(s.adjudication_date) if s.adjudication_date else None,
        s.payment_method, d8(s.check_date) if s.check_date else None, s.check_number,
    ]
    if more:
        seg += [m for m in more]
    return seg


def _claim(c: ClaimStatusAnswer) -> list[Segment]:
    require(len(c.statuses) > 0, "each claim needs at least one status")
    segs: list[Segment] = [["TRN", "2", c.trace_number]]
    segs += [_stc(s, with_amounts=True) for s in c.statuses]
    if c.payer_claim_number:
        segs.append(["REF", "1K", c.payer_claim_number])
    if c.patient_control_number:
        segs.append(["REF", "EJ", c.patient_control_number])
    segs.append(dtp("472", c.service_from, c.service_to))
    for ln in c.lines:
        require(len(ln.statuses) > 0, "each service line needs at least one status")
        segs.append(["SVC", ("HC", ln.procedure, *ln.modifiers), amount(ln.charge),
                     amount(ln.paid), None, None, None, x12_number(ln.units)])
        segs += [_stc(s, with_amounts=False) for s in ln.statuses]
        if ln.control_number:
            segs.append(["REF", "FJ", ln.control_number])
        segs.append(dtp("472", ln.service_date))
    return segs


def status_277_body(resp: StatusResponse) -> list[Segment]:
    require(len(resp.subscribers) > 0, "a 277 needs at least one subscriber")
    body: list[Segment] = [
        ["BHT", "0010", "08", resp.reference_id, d8(resp.created.date()),
         resp.created.strftime("%H%M"), "DG"],
        ["HL", "1", None, "20", "1"],
        ["NM1", "PR", "2", resp.payer_name, None, None, None, None, "PI", resp.payer_id],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "41", "2", resp.receiver_name, None, None, None, None, "46", resp.receiver_id],
        ["HL", "3", "2", "19", "1"],
        ["NM1", "1P", "2", resp.provider_name, None, None, None, None, "XX", resp.provider_npi],
    ]
    hl = 3
    for sub, claims in resp.subscribers:
        require(len(claims) > 0, "each subscriber needs at least one claim")
        dependent = sub.dependent_last_name is not None
        hl += 1
        sub_hl = hl
        body.append(["HL", str(sub_hl), "3", "22", "1" if dependent else "0"])
        body.append(["NM1", "IL", "1", sub.last_name, sub.first_name, None, None, None, "MI",
                     sub.member_id])
        if dependent:
            hl += 1
            body.append(["HL", str(hl), str(sub_hl), "23"])
            body.append(["NM1", "QC", "1", sub.dependent_last_name, sub.dependent_first_name])
        for c in claims:
            body += _claim(c)
    return body


def build_277(resp: StatusResponse, envelope: Envelope) -> str:
    return serialize(envelope, "HN", VERSION, [status_277_body(resp)], "277")
