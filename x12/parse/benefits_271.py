"""Parse 271 eligibility responses (005010X279A1), with codes in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from x12.codes import meaning
from x12.codes.eligibility import (
    AAA_FOLLOW_UP,
    AAA_REJECT_REASONS,
    ACTIVE_CODES,
    COVERAGE_LEVEL,
    EB01_BENEFIT,
    INACTIVE_CODES,
    NETWORK,
    QUANTITY_QUALIFIER,
    SERVICE_TYPES,
    TIME_PERIOD,
)
from x12.models import Party
from x12.parse.common import (
    add_n3,
    add_n4,
    dtp_range,
    el,
    opt_date_of,
    opt_dec,
    party_from_nm1,
    require_set,
)
from x12.reader import TransactionSet
from x12.values import fmt_amount, iso


@dataclass(slots=True)
class Rejection:
    """AAA: the payer could not answer (part of) the request."""

    valid_request: str
    reason: str
    follow_up: str
    loop: str  # "payer", "provider", "subscriber", "dependent", "benefit"
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"valid_request": self.valid_request, "reason": self.reason,
                "reason_meaning": meaning(AAA_REJECT_REASONS, self.reason),
                "follow_up": self.follow_up,
                "follow_up_meaning": meaning(AAA_FOLLOW_UP, self.follow_up),
                "loop": self.loop, "position": self.position}


@dataclass(slots=True)
class QuantityLimit:
    """HSD: delivery/visit limits."""

    qualifier: str
    quantity: Decimal | None
    unit: str | None
    time_period: str | None
    periods: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        return {"qualifier": self.qualifier,
                "qualifier_meaning": meaning(QUANTITY_QUALIFIER, self.qualifier),
                "quantity": None if self.quantity is None else str(self.quantity),
                "unit": self.unit, "time_period": self.time_period,
                "time_period_meaning": meaning(TIME_PERIOD, self.time_period),
                "periods": None if self.periods is None else str(self.periods)}


@dataclass(slots=True)
class Benefit:
    """One EB segment and what follows it (HSD, DTP, MSG, AAA, 2120 entities)."""

    code: str
    position: int
    coverage_level: str | None = None
    service_types: list[str] = field(default_factory=list)
    insurance_type: str | None = None
    plan: str | None = None
    time_period: str | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    quantity_qualifier: str | None = None
    quantity: Decimal | None = None
    authorization_required: str | None = None  # Y, N, U
    network: str | None = None  # EB12 Y/N/W/U
    procedure: str | None = None
    limits: list[QuantityLimit] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    entities: list[Party] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "meaning": meaning(EB01_BENEFIT, self.code),
            "coverage_level": self.coverage_level,
            "coverage_level_meaning": meaning(COVERAGE_LEVEL, self.coverage_level),
            "service_types": [{"code": c, "meaning": meaning(SERVICE_TYPES, c)}
                              for c in self.service_types],
            "insurance_type": self.insurance_type, "plan": self.plan,
            "time_period": self.time_period,
            "time_period_meaning": meaning(TIME_PERIOD, self.time_period),
            "amount": fmt_amount(self.amount),
            "percent": None if self.percent is None else str(self.percent),
            "quantity_qualifier": self.quantity_qualifier,
            "quantity": None if self.quantity is None else str(self.quantity),
            "authorization_required": {"Y": True, "N": False}.get(
                self.authorization_required or ""),
            "network": NETWORK.get(self.network or ""),
            "procedure": self.procedure,
            "limits": [q.to_dict() for q in self.limits], "dates": dict(self.dates),
            "messages": list(self.messages),
            "entities": [p.to_dict() for p in self.entities],
            "rejections": [r.to_dict() for r in self.rejections], "position": self.position,
        }


@dataclass(slots=True)
class Member:
    """Subscriber (2000C) or dependent (2000D) with demographics and benefits."""

    role: str  # "subscriber" or "dependent"
    party: Party | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    trace_numbers: list[str] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def coverage(self) -> str:
        """"active", "inactive" or "unknown" from the EB01 codes."""
        codes = {b.code for b in self.benefits}
        if codes & ACTIVE_CODES:
            return "active"
        if codes & INACTIVE_CODES:
            return "inactive"
        return "unknown"

    @property
    def plan(self) -> str | None:
        for b in self.benefits:
            if b.code in ACTIVE_CODES and b.plan:
                return b.plan
        for b in self.benefits:
            if b.plan:
                return b.plan
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "coverage": self.coverage, "plan": self.plan,
                "name": self.party.to_dict() if self.party else None,
                "birth_date": iso(self.birth_date), "gender": self.gender,
                "trace_numbers": list(self.trace_numbers),
                "references": dict(self.references), "dates": dict(self.dates),
                "benefits": [b.to_dict() for b in self.benefits],
                "rejections": [r.to_dict() for r in self.rejections]}


@dataclass(slots=True)
class EligibilityResponse:
    """One parsed 271 transaction set."""

    control_number: str
    payer: Party | None = None
    provider: Party | None = None
    members: list[Member] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)  # payer/provider level

    def to_dict(self) -> dict[str, Any]:
        return {"type": "271", "control_number": self.control_number,
                "payer": self.payer.to_dict() if self.payer else None,
                "provider": self.provider.to_dict() if self.provider else None,
                "rejections": [r.to_dict() for r in self.rejections],
                "members": [m.to_dict() for m in self.members]}


def _dates(target: dict[str, str], els: list[str], pos: int) -> None:
    start, end = dtp_range(els, pos)
    value = iso(start) or ""
    if end is not None and end != start:
        value += "/" + (iso(end) or "")
    target[el(els, 1)] = value


def parse_271(ts: TransactionSet) -> EligibilityResponse:
    require_set(ts, "271")
    rep = ts.delimiters.repetition
    comp = ts.delimiters.component
    res = EligibilityResponse(ts.control_number)
    level = ""
    member: Member | None = None
    benefit: Benefit | None = None
    in_2120 = False
    pos = ts.start_position
    for els in ts.segments:
        sid = els[0]
        if sid == "HL":
            level = el(els, 3)
            benefit = None
            in_2120 = False
            if level in ("22", "23"):
                member = Member("subscriber" if level == "22" else "dependent")
                res.members.append(member)
            else:
                member = None
        elif sid == "NM1":
            party = party_from_nm1(els)
            if in_2120 and benefit is not None:
                benefit.entities.append(party)
            elif level == "20":
                res.payer = party
            elif level == "21":
                res.provider = party
            elif member is not None:
                member.party = party
        elif sid in ("N3", "N4"):
            target: Party | None = None
            if in_2120 and benefit is not None and benefit.entities:
                target = benefit.entities[-1]
            elif member is not None and benefit is None:
                target = member.party
            (add_n3 if sid == "N3" else add_n4)(target, els)
        elif sid == "DMG":
            if member is not None and benefit is None:
                member.birth_date = _dmg_date(els, pos)
                member.gender = el(els, 3) or None
        elif sid == "TRN":
            if member is not None:
                member.trace_numbers.append(el(els, 2))
        elif sid == "REF":
            if member is not None and benefit is None:
                member.references[el(els, 1)] = el(els, 2)
        elif sid == "DTP":
            if benefit is not None:
                _dates(benefit.dates, els, pos)
            elif member is not None:
                _dates(member.dates, els, pos)
        elif sid == "AAA":
            loop = {"20": "payer", "21": "provider", "22": "subscriber",
                    "23": "dependent"}.get(level, "unknown")
            rej = Rejection(el(els, 1), el(els, 3), el(els, 4),
                            "benefit" if benefit is not None else loop, pos)
            if benefit is not None:
                benefit.rejections.append(rej)
            elif member is not None:
                member.rejections.append(rej)
            else:
                res.rejections.append(rej)
        elif sid == "EB":
            in_2120 = False
            benefit = Benefit(
                el(els, 1), pos, el(els, 2) or None,
                [c for c in el(els, 3).split(rep) if c], el(els, 4) or None,
                el(els, 5) or None, el(els, 6) or None, opt_dec(els, 7, pos),
                opt_dec(els, 8, pos), el(els, 9) or None, opt_dec(els, 10, pos),
                el(els, 11) or None, el(els, 12) or None,
                ":".join(p for p in el(els, 13).split(comp)[:2] if p) or None)
            if member is None:
                member = Member("subscriber")
                res.members.append(member)
            member.benefits.append(benefit)
        elif sid == "HSD":
            if benefit is not None:
                benefit.limits.append(QuantityLimit(
                    el(els, 1), opt_dec(els, 2, pos), el(els, 3) or None,
                    el(els, 5) or None, opt_dec(els, 6, pos)))
        elif sid == "MSG":
            if benefit is not None:
                benefit.messages.append(el(els, 1))
        elif sid == "LS":
            in_2120 = True
        elif sid == "LE":
            in_2120 = False
        pos += 1
    return res


def _dmg_date(els: list[str], pos: int) -> dt.date | None:
    return opt_date_of(els, 2, pos)
