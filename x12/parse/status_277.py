"""Parse 277 claim status responses (005010X212) and 277CA acknowledgments (005010X214)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from x12.codes import meaning
from x12.codes.claim_status import CLAIM_STATUS, CLAIM_STATUS_CATEGORY, ENTITY
from x12.models import Party
from x12.parse.common import dtp_range, el, opt_date_of, opt_dec, party_from_nm1, require_set
from x12.reader import TransactionSet
from x12.values import fmt_amount, iso


@dataclass(slots=True)
class Status:
    """One STC status composite (STC01, STC10 or STC11) with the STC's amounts."""

    category: str
    code: str | None
    entity: str | None
    date: dt.date | None
    action: str | None
    charge: Decimal | None
    paid: Decimal | None
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category,
                "category_meaning": meaning(CLAIM_STATUS_CATEGORY, self.category),
                "code": self.code, "code_meaning": meaning(CLAIM_STATUS, self.code),
                "entity": self.entity, "entity_meaning": meaning(ENTITY, self.entity),
                "date": iso(self.date), "action": self.action,
                "charge": fmt_amount(self.charge), "paid": fmt_amount(self.paid)}


@dataclass(slots=True)
class LineStatus:
    procedure: str | None
    charge: Decimal | None
    paid: Decimal | None
    statuses: list[Status] = field(default_factory=list)
    service_start: dt.date | None = None
    service_end: dt.date | None = None
    control_number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"procedure": self.procedure, "charge": fmt_amount(self.charge),
                "paid": fmt_amount(self.paid), "control_number": self.control_number,
                "service_start": iso(self.service_start),
                "service_end": iso(self.service_end),
                "statuses": [s.to_dict() for s in self.statuses]}


@dataclass(slots=True)
class ClaimStatusResult:
    """Per claim: ids, statuses, amounts and dates."""

    trace_number: str  # TRN02
    patient_control_number: str | None
    position: int
    payer_claim_number: str | None = None
    patient: Party | None = None
    provider: Party | None = None
    statuses: list[Status] = field(default_factory=list)
    service_start: dt.date | None = None
    service_end: dt.date | None = None
    lines: list[LineStatus] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)

    @property
    def charge(self) -> Decimal | None:
        return self.statuses[0].charge if self.statuses else None

    @property
    def paid(self) -> Decimal | None:
        return self.statuses[0].paid if self.statuses else None

    def to_dict(self) -> dict[str, Any]:
        first = self.statuses[0] if self.statuses else None
        return {
            "patient_control_number": self.patient_control_number,
            "payer_claim_number": self.payer_claim_number, "trace_number": self.trace_number,
            "category": first.category if first else None,
            "status_code": first.code if first else None,
            "charge": fmt_amount(self.charge), "paid": fmt_amount(self.paid),
            "service_start": iso(self.service_start), "service_end": iso(self.service_end),
            "patient": self.patient.to_dict() if self.patient else None,
            "provider": self.provider.to_dict() if self.provider else None,
            "statuses": [s.to_dict() for s in self.statuses],
            "references": dict(self.references),
            "lines": [ln.to_dict() for ln in self.lines], "position": self.position,
        }


@dataclass(slots=True)
class ClaimStatusResponse:
    """One parsed 277 (X212) or 277CA (X214) transaction set."""

    control_number: str
    implementation: str
    payer: Party | None = None
    receiver: Party | None = None
    claims: list[ClaimStatusResult] = field(default_factory=list)
    batch_statuses: list[Status] = field(default_factory=list)  # payer/receiver/provider

    @property
    def is_acknowledgment(self) -> bool:
        return "X214" in self.implementation

    def to_dict(self) -> dict[str, Any]:
        return {"type": "277", "control_number": self.control_number,
                "implementation": self.implementation,
                "variant": "277CA" if self.is_acknowledgment else "277",
                "payer": self.payer.to_dict() if self.payer else None,
                "receiver": self.receiver.to_dict() if self.receiver else None,
                "batch_statuses": [s.to_dict() for s in self.batch_statuses],
                "claims": [c.to_dict() for c in self.claims]}


def _stc(els: list[str], comp: str, pos: int) -> list[Status]:
    date = opt_date_of(els, 2, pos)
    charge = opt_dec(els, 4, pos)
    paid = opt_dec(els, 5, pos)
    out: list[Status] = []
    for i in (1, 10, 11):
        parts = el(els, i).split(comp)
        if not parts[0]:
            continue
        out.append(Status(parts[0], parts[1] if len(parts) > 1 and parts[1] else None,
                          parts[2] if len(parts) > 2 and parts[2] else None, date,
                          el(els, 3) or None, charge if i == 1 else None,
                          paid if i == 1 else None, pos))
    return out


def parse_277(ts: TransactionSet) -> ClaimStatusResponse:
    require_set(ts, "277")
    comp = ts.delimiters.component
    res = ClaimStatusResponse(ts.control_number, ts.implementation)
    acknowledgment = res.is_acknowledgment
    level = ""
    provider: Party | None = None
    person: Party | None = None
    claim: ClaimStatusResult | None = None
    line: LineStatus | None = None
    pos = ts.start_position
    for els in ts.segments:
        sid = els[0]
        if sid == "HL":
            level = el(els, 3)
            claim = None
            line = None
            if level in ("20", "21", "19"):
                person = None
        elif sid == "NM1":
            party = party_from_nm1(els)
            if level == "20":
                res.payer = party
            elif level == "21":
                res.receiver = party
            elif level == "19":
                provider = party
            else:
                person = party
        elif sid == "TRN":
            if level in ("22", "23", "PT"):
                trace = el(els, 2)
                claim = ClaimStatusResult(trace, trace if acknowledgment else None, pos,
                                          patient=person, provider=provider)
                res.claims.append(claim)
                line = None
        elif sid == "STC":
            statuses = _stc(els, comp, pos)
            if line is not None:
                line.statuses += statuses
            elif claim is not None:
                claim.statuses += statuses
            else:
                res.batch_statuses += statuses
        elif sid == "REF":
            target = line if line is not None else claim
            if target is not None:
                qual, value = el(els, 1), el(els, 2)
                if isinstance(target, LineStatus):
                    if qual == "FJ":
                        target.control_number = value
                else:
                    target.references[qual] = value
                    if qual == "1K":
                        target.payer_claim_number = value
                    elif qual == "EJ" and not acknowledgment:
                        target.patient_control_number = value
                    elif qual == "D9" and target.patient_control_number is None:
                        target.patient_control_number = value
        elif sid == "DTP":
            if el(els, 1) == "472":
                start, end = dtp_range(els, pos)
                if line is not None:
                    line.service_start, line.service_end = start, end
                elif claim is not None:
                    claim.service_start, claim.service_end = start, end
        elif sid == "SVC":
            if claim is not None:
                parts = el(els, 1).split(comp)
                line = LineStatus(parts[1] if len(parts) > 1 else None, opt_dec(els, 2, pos),
                                  opt_dec(els, 3, pos))
                claim.lines.append(line)
        pos += 1
    return res
