"""835 balancing checks.

Three rules, applied exactly and never "fixed":

* service line: SVC02 charge - sum(line CAS amounts) = SVC03 paid
* claim: CLP03 charge - sum(claim CAS) - sum(line CAS of all its lines) = CLP04 paid
* transaction: sum(CLP04 paid) - sum(PLB amounts) = BPR02 payment amount
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from x12.values import fmt_amount

if TYPE_CHECKING:
    from x12.parse.era_835 import ClaimPayment, Payment, Remittance835

ZERO = Decimal(0)


@dataclass(slots=True)
class BalanceError:
    level: str  # "line", "claim" or "transaction"
    position: int  # segment position (SVC, CLP or BPR) in the file
    segment_id: str
    expected: Decimal
    actual: Decimal
    patient_control_number: str | None = None
    line_number: int | None = None

    @property
    def message(self) -> str:
        where = f"segment {self.position} ({self.segment_id})"
        what = {
            "line": f"service line {self.line_number} of claim {self.patient_control_number}: "
                    "charge - adjustments != paid",
            "claim": f"claim {self.patient_control_number}: "
                     "charge - claim adjustments - line adjustments != paid",
            "transaction": "sum of claim payments - provider adjustments != BPR02",
        }[self.level]
        return (f"{where}: {what}: expected {fmt_amount(self.expected)}, "
                f"found {fmt_amount(self.actual)}")

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "position": self.position, "segment_id": self.segment_id,
                "patient_control_number": self.patient_control_number,
                "line_number": self.line_number, "expected": fmt_amount(self.expected),
                "actual": fmt_amount(self.actual), "message": self.message}


def balance_claim(claim: ClaimPayment) -> list[BalanceError]:
    """Line and claim rules for one claim."""
    errors: list[BalanceError] = []
    line_adj_total = ZERO
    for n, line in enumerate(claim.lines, start=1):
        adj = ZERO
        for a in line.adjustments:
            adj += a.amount
        line_adj_total += adj
        if line.charge - adj != line.paid:
            errors.append(BalanceError("line", line.position, "SVC", line.charge - adj,
                                       line.paid, claim.patient_control_number, n))
    expected = claim.charge - line_adj_total
    for a in claim.adjustments:
        expected -= a.amount
    if expected != claim.paid:
        errors.append(BalanceError("claim", claim.position, "CLP", expected, claim.paid,
                                   claim.patient_control_number))
    return errors


def balance_transaction(paid_total: Decimal, plb_total: Decimal,
                        payment: Payment | None) -> list[BalanceError]:
    """Transaction rule: sum(CLP04) - sum(PLB) = BPR02."""
    expected = paid_total - plb_total
    if payment is not None and expected != payment.amount:
        return [BalanceError("transaction", payment.position, "BPR", expected,
                             payment.amount)]
    return []


def balance_835(rem: Remittance835) -> list[BalanceError]:
    """Every imbalance in one parsed 835 transaction set (empty list when balanced)."""
    errors: list[BalanceError] = []
    for claim in rem.claims:
        if not claim.damage:  # a damaged claim's numbers are not trusted: its damage says why
            errors += balance_claim(claim)
    paid_total = sum((c.paid for c in rem.claims), ZERO)
    plb = sum((p.amount for p in rem.provider_adjustments), ZERO)
    return errors + balance_transaction(paid_total, plb, rem.payment)
