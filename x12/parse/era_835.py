"""Parse 835 health care claim payment/advice (005010X221A1) into dataclasses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from x12.balancing import BalanceError, balance_835, balance_claim, balance_transaction
from x12.errors import ParseError, X12Error
from x12.models import Adjustment, Party
from x12.parse.common import (
    add_n3,
    add_n4,
    cas_adjustments,
    date_of,
    dec,
    el,
    opt_dec,
    party_from_n1,
    party_from_nm1,
    require_set,
)
from x12.reader import Source, TransactionSet, X12Reader
from x12.values import fmt_amount, iso

ONE = Decimal(1)


@dataclass(slots=True)
class Payment:
    """BPR + TRN: the money."""

    amount: Decimal
    credit_debit: str
    method: str  # BPR04: ACH, CHK, NON, FWT, BOP
    date: dt.date | None  # BPR16
    handling: str  # BPR01
    trace_number: str | None = None  # TRN02 (check or EFT number)
    originator: str | None = None  # TRN03
    position: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"amount": fmt_amount(self.amount), "method": self.method, "date": iso(self.date),
                "trace_number": self.trace_number, "credit_debit": self.credit_debit,
                "handling": self.handling, "originator": self.originator}


@dataclass(slots=True)
class ServicePayment:
    """SVC loop 2110."""

    qualifier: str
    procedure: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    units: Decimal
    position: int
    allowed: Decimal | None = None
    revenue_code: str | None = None
    original_procedure: str | None = None
    service_start: dt.date | None = None
    service_end: dt.date | None = None
    control_number: str | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "procedure": self.procedure, "qualifier": self.qualifier,
            "modifiers": list(self.modifiers), "charge": fmt_amount(self.charge),
            "paid": fmt_amount(self.paid), "allowed": fmt_amount(self.allowed),
            "units": str(self.units), "service_start": iso(self.service_start),
            "service_end": iso(self.service_end), "control_number": self.control_number,
            "adjustments": [a.to_dict() for a in self.adjustments],
            "remarks": list(self.remarks), "position": self.position,
        }


@dataclass(slots=True, frozen=True)
class ClaimDamage:
    """An element of a claim's loop (CLP 2100 or its SVC 2110 lines) that could not be read.

    The claim is kept, flagged with this record, and the rest of the transaction is still
    read: the damage is the claim's, not the payment's."""

    position: int  # segment position in the file
    segment_id: str
    element: int | None
    expected: str | None
    found: str | None
    message: str

    @classmethod
    def from_error(cls, exc: X12Error) -> ClaimDamage:
        return cls(exc.position or 0, exc.segment_id or "", exc.element,
                   None if exc.expected is None else str(exc.expected),
                   None if exc.found is None else str(exc.found), exc.describe())

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "segment_id": self.segment_id,
                "element": self.element, "expected": self.expected, "found": self.found,
                "message": self.message}


# Segments read inside a claim loop (2100/2110): an invalid element in one of them damages
# that claim only. Any other segment (BPR, TRN, N1, PLB, ...) stays fatal.
CLAIM_SEGMENTS = frozenset({"CAS", "SVC", "DTM", "DTP", "AMT", "QTY", "LQ", "REF", "NM1",
                            "MOA", "MIA", "PER"})


@dataclass(slots=True)
class ClaimPayment:
    """CLP loop 2100."""

    patient_control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_number: str
    position: int
    facility_code: str | None = None
    frequency: str | None = None
    patient: Party | None = None
    insured: Party | None = None
    rendering: Party | None = None
    statement_start: dt.date | None = None
    statement_end: dt.date | None = None
    received_date: dt.date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[ServicePayment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    damage: list[ClaimDamage] = field(default_factory=list)  # empty: read completely

    @property
    def damaged(self) -> bool:
        return bool(self.damage)

    def to_dict(self) -> dict[str, Any]:
        out = self._dict()
        if self.damage:  # only when present, so undamaged output is unchanged
            out["damage"] = [d.to_dict() for d in self.damage]
        return out

    def _dict(self) -> dict[str, Any]:
        return {
            "patient_control_number": self.patient_control_number,
            "status_code": self.status_code, "charge": fmt_amount(self.charge),
            "paid": fmt_amount(self.paid),
            "patient_responsibility": fmt_amount(self.patient_responsibility),
            "payer_claim_number": self.payer_claim_number,
            "filing_indicator": self.filing_indicator, "facility_code": self.facility_code,
            "frequency": self.frequency,
            "patient": self.patient.to_dict() if self.patient else None,
            "insured": self.insured.to_dict() if self.insured else None,
            "rendering": self.rendering.to_dict() if self.rendering else None,
            "statement_start": iso(self.statement_start),
            "statement_end": iso(self.statement_end),
            "adjustments": [a.to_dict() for a in self.adjustments],
            "lines": [ln.to_dict() for ln in self.lines],
            "remarks": list(self.remarks), "position": self.position,
        }


@dataclass(slots=True)
class ProviderLevelAdjustment:
    """One reason/amount pair of a PLB segment; a positive amount reduces the payment."""

    provider_id: str
    fiscal_period_date: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "reference": self.reference,
                "amount": fmt_amount(self.amount), "provider_id": self.provider_id,
                "fiscal_period_date": iso(self.fiscal_period_date), "position": self.position}


@dataclass(slots=True)
class Remittance835:
    """One parsed 835 transaction set."""

    control_number: str
    payment: Payment | None
    payer: Party | None
    payee: Party | None
    claims: list[ClaimPayment]
    provider_adjustments: list[ProviderLevelAdjustment]
    production_date: dt.date | None = None
    balance_errors: list[BalanceError] = field(default_factory=list)
    claim_count: int | None = None

    @property
    def damaged_claims(self) -> list[ClaimPayment]:
        return [c for c in self.claims if c.damage]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "835", "control_number": self.control_number,
            "payer": self.payer.to_dict() if self.payer else None,
            "payee": self.payee.to_dict() if self.payee else None,
            "payment": self.payment.to_dict() if self.payment else None,
            "production_date": iso(self.production_date),
            "claims": [c.to_dict() for c in self.claims],
            "provider_adjustments": [p.to_dict() for p in self.provider_adjustments],
            "balance_errors": [b.to_dict() for b in self.balance_errors],
        }


def _claim_amount(els: list[str], i: int, pos: int, damage: list[ClaimDamage],
                  optional: bool = False) -> Any:
    """A CLP amount; an unreadable one is recorded as the claim's damage (read as 0)."""
    try:
        return opt_dec(els, i, pos) if optional else dec(els, i, pos)
    except X12Error as exc:
        damage.append(ClaimDamage.from_error(exc))
        return None if optional else Decimal(0)


def _dtm_date(els: list[str], pos: int) -> dt.date:
    return date_of(els, 2, pos)


class Era835Parser:
    """Incremental 835 parser: :meth:`feed` segments (after ST), then :meth:`finish`.

    With ``keep_claims=False`` finished claims are handed back by :meth:`feed` (with their
    line/claim balance errors in :attr:`claim_errors`) instead of being kept, so memory does
    not grow with the number of claims.
    """

    def __init__(self, ts: TransactionSet, *, keep_claims: bool = True) -> None:
        require_set(ts, "835")
        self.ts = ts
        self.comp = ts.delimiters.component
        self.keep_claims = keep_claims
        self.rem = Remittance835(ts.control_number, None, None, None, [], [])
        self.claim: ClaimPayment | None = None
        self.line: ServicePayment | None = None
        self.current_n1: Party | None = None
        self.paid_total = Decimal(0)
        self.claim_count = 0
        self.claim_errors: list[BalanceError] = []

    def _close_claim(self) -> ClaimPayment | None:
        claim = self.claim
        self.claim = None
        self.line = None
        if claim is None:
            return None
        self.paid_total += claim.paid
        self.claim_count += 1
        if self.keep_claims:
            self.rem.claims.append(claim)
            return None
        self.claim_errors = [] if claim.damage else balance_claim(claim)
        return claim

    def flush(self) -> ClaimPayment | None:
        """Close the open claim, for a transaction set that ends without SE.

        With ``keep_claims=False`` the claim is returned (errors in :attr:`claim_errors`);
        :meth:`finish` would close it too but, streaming, has nowhere to hand it.
        """
        return self._close_claim()

    def feed(self, els: list[str], pos: int) -> ClaimPayment | None:
        """Take one segment; returns a finished claim when ``keep_claims`` is False."""
        sid = els[0]
        try:
            claim = self.claim
            line = self.line
            if sid == "CAS":
                adjs = cas_adjustments(els, pos)
                if line is not None:
                    line.adjustments.extend(adjs)
                elif claim is not None:
                    claim.adjustments.extend(adjs)
                else:
                    raise ParseError("CAS outside a claim", position=pos, segment_id="CAS",
                                     expected="CLP or SVC before CAS")
            elif sid == "SVC":
                if claim is None:
                    raise ParseError("SVC outside a claim", position=pos, segment_id="SVC",
                                     expected="CLP before SVC")
                comp = self.comp
                parts = el(els, 1).split(comp)
                if len(parts) < 2 or not parts[1]:
                    raise ParseError("SVC01 needs qualifier and procedure code", position=pos,
                                     segment_id="SVC", element=1, expected="HC:code",
                                     found=el(els, 1))
                units = opt_dec(els, 5, pos)
                orig = el(els, 6).split(comp)
                self.line = ServicePayment(
                    parts[0], parts[1], [m for m in parts[2:6] if m], dec(els, 2, pos),
                    dec(els, 3, pos), ONE if units is None else units, pos,
                    revenue_code=el(els, 4) or None,
                    original_procedure=orig[1] if len(orig) > 1 and orig[1] else None)
                claim.lines.append(self.line)
            elif sid == "DTM" or sid == "DTP":
                qual = el(els, 1)
                if sid == "DTP":
                    els = [sid, qual, el(els, 3)[:8]]
                if qual == "472" and line is not None:
                    line.service_start = line.service_end = _dtm_date(els, pos)
                elif qual == "150" and line is not None:
                    line.service_start = _dtm_date(els, pos)
                elif qual == "151" and line is not None:
                    line.service_end = _dtm_date(els, pos)
                elif qual == "232" and claim is not None:
                    claim.statement_start = _dtm_date(els, pos)
                elif qual == "233" and claim is not None:
                    claim.statement_end = _dtm_date(els, pos)
                elif qual == "050" and claim is not None:
                    claim.received_date = _dtm_date(els, pos)
                elif qual == "405" and claim is None:
                    self.rem.production_date = _dtm_date(els, pos)
            elif sid == "AMT":
                if el(els, 1) == "B6" and line is not None:
                    line.allowed = dec(els, 2, pos)
                else:
                    dec(els, 2, pos)  # checked for syntax, not reported
            elif sid == "LQ":
                if line is not None:
                    line.remarks.append(el(els, 2))
            elif sid == "REF":
                if el(els, 1) == "6R" and line is not None:
                    line.control_number = el(els, 2)
            elif sid == "CLP":
                done = self._close_claim()
                damage: list[ClaimDamage] = []
                self.claim = ClaimPayment(
                    el(els, 1), el(els, 2), _claim_amount(els, 3, pos, damage),
                    _claim_amount(els, 4, pos, damage), _claim_amount(els, 5, pos, damage, True),
                    el(els, 6), el(els, 7), pos, el(els, 8) or None, el(els, 9) or None,
                    damage=damage)
                return done
            elif sid == "NM1":
                if claim is not None:
                    code = el(els, 1)
                    if code == "QC":
                        claim.patient = party_from_nm1(els)
                    elif code == "IL":
                        claim.insured = party_from_nm1(els)
                    elif code == "82":
                        claim.rendering = party_from_nm1(els)
            elif sid == "MOA" or sid == "MIA":
                if claim is not None:
                    start = 3 if sid == "MOA" else 5
                    claim.remarks += [r for r in els[start:start + 5] if r and not
                                      r.replace(".", "").isdigit()]
            elif sid == "PLB":
                fiscal = el(els, 2)
                for i in range(3, min(len(els), 15), 2):
                    if not els[i]:
                        continue
                    reason, _, ref = els[i].partition(self.comp)
                    self.rem.provider_adjustments.append(ProviderLevelAdjustment(
                        el(els, 1), date_of(els, 2, pos) if fiscal else None, reason,
                        ref or None, dec(els, i + 1, pos), pos))
                return self._close_claim()
            elif sid == "BPR":
                self.rem.payment = Payment(dec(els, 2, pos), el(els, 3), el(els, 4),
                                           date_of(els, 16, pos) if el(els, 16) else None,
                                           el(els, 1), position=pos)
            elif sid == "TRN":
                if self.rem.payment is not None:
                    self.rem.payment.trace_number = el(els, 2) or None
                    self.rem.payment.originator = el(els, 3) or None
            elif sid == "N1":
                code = el(els, 1)
                self.current_n1 = party_from_n1(els)
                if code == "PR":
                    self.rem.payer = self.current_n1
                elif code == "PE":
                    self.rem.payee = self.current_n1
            elif sid == "N3":
                if claim is None:
                    add_n3(self.current_n1, els)
            elif sid == "N4":
                if claim is None:
                    add_n4(self.current_n1, els)
            elif sid in ("LX", "TS3", "TS2", "SE"):
                return self._close_claim()
        except X12Error as exc:
            claim = self.claim
            if claim is None or sid not in CLAIM_SEGMENTS:
                raise
            # damages this claim only; a line whose SVC could not be read takes nothing more
            claim.damage.append(ClaimDamage.from_error(exc))
            if sid == "SVC":
                self.line = None
        return None

    def finish(self, *, balance: bool = True) -> Remittance835:
        """Close the transaction set; runs the balancing checks when ``balance``."""
        self._close_claim()
        rem = self.rem
        if rem.payment is None:
            raise ParseError("835 has no BPR segment", position=self.ts.start_position,
                             segment_id="ST", expected="BPR")
        if balance:
            if self.keep_claims:
                rem.balance_errors = balance_835(rem)
            else:
                plb = sum((p.amount for p in rem.provider_adjustments), Decimal(0))
                rem.balance_errors = balance_transaction(self.paid_total, plb, rem.payment)
        return rem


def parse_835(ts: TransactionSet, *, balance: bool = True) -> Remittance835:
    """Parse one 835 transaction set; with ``balance`` also run the balancing checks."""
    parser = Era835Parser(ts)
    feed = parser.feed
    pos = ts.start_position + 1
    for els in ts.segments[1:]:
        feed(els, pos)
        pos += 1
    return parser.finish(balance=balance)


@dataclass(slots=True)
class ClaimEvent:
    """A finished claim from :func:`stream_835`, with its line/claim balance errors."""

    remittance: Remittance835  # header so far (payment, payer, payee); claims not kept
    claim: ClaimPayment
    balance_errors: list[BalanceError]


def stream_835(source: Source) -> Iterator[ClaimEvent | Remittance835]:
    """Parse 835s claim by claim with memory bounded by one claim.

    Yields a :class:`ClaimEvent` per claim and then, at the end of each transaction set,
    its :class:`Remittance835` (``claims`` empty; ``balance_errors`` holds the transaction
    rule; ``claim_count`` the number of claims).  Envelope errors are raised (strict).
    """
    reader = X12Reader(source, strict=True)
    parser: Era835Parser | None = None
    for kind, ts, els, pos in reader.events():
        if kind == "seg":
            if parser is not None:
                done = parser.feed(els, pos)  # type: ignore[arg-type]
                if done is not None:
                    yield ClaimEvent(parser.rem, done, parser.claim_errors)
        elif kind == "start":
            parser = Era835Parser(ts, keep_claims=False) if ts.set_id == "835" else None
        elif parser is not None:
            rem = parser.finish()
            rem.claim_count = parser.claim_count
            yield rem
            parser = None
