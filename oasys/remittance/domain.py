"""Pure 835 posting decisions: what an ERA must satisfy to be posted, how a claim's
adjustments split between the contract, the client and what stays open, and the key that
identifies a payment. No Django: tested directly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from oasys.core.money import ZERO, money
from x12.parse.era_835 import ClaimPayment, Remittance835

# CARCs that settle the amount under the payer contract or coordination of benefits (written
# off against the contract). Every other non-PR adjustment -- denials such as 16, 18, 27, 29,
# 96, 109, 119, 197 -- stays open on the insurance receivable until it is appealed, corrected
# or written off.
SETTLED_CARCS = frozenset({"45", "253", "23", "59", "94", "97", "131", "144", "237"})

CLIENT_GROUP = "PR"


@dataclass(frozen=True)
class ClaimSplit:
    paid: Decimal
    contractual: Decimal
    client_share: Decimal
    open_amount: Decimal
    allowed: Decimal


def _adjustments(claim: ClaimPayment):
    yield from claim.adjustments
    for line in claim.lines:
        yield from line.adjustments


def claim_split(claim: ClaimPayment) -> ClaimSplit:
    """Split a balanced claim's charge into paid + contractual + client share + open.

    charge = paid + Σ adjustments (the claim balancing rule), so the four parts always add
    up to the charge, reversals (negative amounts) included."""
    contractual = client = ZERO
    for adj in _adjustments(claim):
        if adj.group == CLIENT_GROUP:
            client += adj.amount
        elif adj.reason in SETTLED_CARCS:
            contractual += adj.amount
    paid = money(claim.paid)
    open_amount = money(claim.charge) - paid - money(contractual) - money(client)
    line_allowed = [ln.allowed for ln in claim.lines]
    if line_allowed and all(a is not None for a in line_allowed):
        allowed = money(sum(line_allowed, ZERO))
    else:
        allowed = paid + money(client)
    return ClaimSplit(paid, money(contractual), money(client), money(open_amount), allowed)


def era_problems(rem: Remittance835) -> list[str]:
    """Why an 835 transaction must not be posted (empty: post it). The three balancing rules
    (service line, claim, transaction with PLB) and a readable payment."""
    problems: list[str] = []
    if rem.payment is None:
        problems.append("the 835 has no payment (BPR) segment")
    elif rem.payment.credit_debit not in ("C", "D"):
        problems.append(f"BPR03 must be C or D, found {rem.payment.credit_debit!r}")
    problems += [e.message for e in rem.balance_errors]
    return problems


def payer_identifier(rem: Remittance835) -> str:
    """The payer's identity for deduplication: N1*PR id, else TRN03, else its name."""
    if rem.payer is not None and rem.payer.id:
        return rem.payer.id
    if rem.payment is not None and rem.payment.originator:
        return rem.payment.originator
    return rem.payer.name if rem.payer is not None else ""


def payment_key(rem: Remittance835) -> str:
    """The payment's identity: payer, trace (check/EFT) number, amount and date. The same
    payment arriving twice, in the same file or in another, has the same key."""
    p = rem.payment
    assert p is not None
    return "|".join([payer_identifier(rem), p.trace_number or "", f"{money(p.amount)}",
                     p.date.isoformat() if p.date else "", p.credit_debit])[:200]


def claim_payment_fingerprint(*, claim_id: int, cp: ClaimPayment) -> str:
    """A claim payment's identity whatever file (and check or EFT number) carries it: our
    claim, the payer's claim number, the CLP amounts and the service lines. A reversal (its
    amounts negated) has the identity of the payment it reverses."""
    def amount(value) -> str:
        return "" if value is None else f"{abs(money(value))}"

    parts = [str(claim_id), (cp.payer_claim_number or "").strip(), amount(cp.charge),
             amount(cp.paid), amount(cp.patient_responsibility)]
    for ln in cp.lines:
        parts.append(":".join([ln.procedure or "", ",".join(ln.modifiers or ()),
                               amount(ln.charge), amount(ln.paid), str(abs(ln.units or 0)),
                               ln.service_start.isoformat() if ln.service_start else ""]))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def service_date_of(claim: ClaimPayment):
    dates = [ln.service_start for ln in claim.lines if ln.service_start] + (
        [claim.statement_start] if claim.statement_start else [])
    return min(dates) if dates else None


def damage_rows(rem: Remittance835) -> list[dict]:
    """One row per damage of each damaged claim (x12 ClaimDamage), with the claim's place in
    the ERA (1-based) and identity: what a biller needs to see before posting the rest."""
    rows = []
    for index, cp in enumerate(rem.claims, start=1):
        for d in cp.damage:
            rows.append({
                "claim_index": index, "patient_control_number": cp.patient_control_number[:38],
                "paid": f"{money(cp.paid)}", "position": d.position,
                "segment_id": d.segment_id[:3],
                "element": (f"{d.segment_id[:3]}{d.element:02d}" if d.element is not None
                            else ""),
                "expected": (d.expected or "")[:80], "found": (d.found or "")[:80],
                "message": d.message[:300]})
    return rows


def damage_summary(rows: list[dict]) -> str:
    """The damage in one sentence per claim, for the reason and the import message."""
    per_claim: dict[int, list[str]] = {}
    for row in rows:
        per_claim.setdefault(row["claim_index"], []).append(
            f"segment {row['position']} {row['element'] or row['segment_id']}: expected "
            f"{row['expected'] or '-'}, found {row['found'] or 'nothing'}")
    pcn = {row["claim_index"]: row["patient_control_number"] for row in rows}
    return "; ".join(f"claim {pcn[i]} ({', '.join(bits)})" for i, bits in per_claim.items())
