"""What the client may owe for one session, from the benefits the payer reported.

An estimate, always labelled so: the payer decides the real amount on the claim, on its own
allowed amount (which we do not know), so this works from the practice's charge.
Pure and Decimal-only (no floats), so it is tested with Hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from oasys.core.money import ZERO, money


@dataclass(frozen=True, slots=True)
class SessionEstimate:
    amount: Decimal | None  # None: the payer did not report enough to estimate
    basis: str  # "copay", "coinsurance", "deductible", "capped", "unknown"
    explanation: str


def session_estimate(
    *,
    charge: Decimal,
    copay: Decimal | None,
    coinsurance_percent: Decimal | None,
    deductible_remaining: Decimal | None,
    oop_remaining: Decimal | None,
) -> SessionEstimate:
    """The client's share of one session charged `charge`.

    A copay plan: the copay. Otherwise the part of the charge still under the deductible,
    plus the coinsurance share of the rest. Either way never more than the charge, nor
    than what is left of the out-of-pocket maximum (past it the plan pays in full).
    """
    for value in (charge, copay, coinsurance_percent, deductible_remaining, oop_remaining):
        if isinstance(value, float):
            raise TypeError("session_estimate takes Decimals, not floats")
    charge = max(ZERO, money(charge))
    if copay is not None and copay > 0:
        owed = min(money(copay), charge)
        basis = "copay"
        why = f"the ${money(copay):.2f} copay"
    elif coinsurance_percent is not None or (
        deductible_remaining is not None and deductible_remaining >= charge
    ):
        under_deductible = min(charge, max(ZERO, deductible_remaining or ZERO))
        rest = charge - under_deductible
        share = rest * max(ZERO, min(Decimal(100), coinsurance_percent or ZERO)) / 100
        owed = money(under_deductible + share)
        if under_deductible > 0 and share > 0:
            basis = "deductible"
            why = (f"${under_deductible:.2f} toward the deductible plus "
                   f"{coinsurance_percent}% coinsurance of the rest")
        elif under_deductible > 0:
            basis = "deductible"
            why = f"${under_deductible:.2f} toward the remaining deductible"
        else:
            basis = "coinsurance"
            why = f"{(coinsurance_percent or ZERO).normalize():f}% coinsurance"
    elif copay is not None:  # a $0 copay and nothing else: the plan pays in full
        owed, basis, why = ZERO, "copay", "no copay"
    else:
        return SessionEstimate(None, "unknown",
                               "The payer did not report a copay or coinsurance.")
    if oop_remaining is not None and owed > max(ZERO, oop_remaining):
        owed = money(max(ZERO, oop_remaining))
        basis = "capped"
        why += ", capped by what is left of the out-of-pocket maximum"
    return SessionEstimate(owed, basis, f"Estimate: {why}.")


def _value(figure: dict[str, Any] | None) -> Decimal | None:
    if not figure or figure.get("value") in (None, ""):
        return None
    return Decimal(str(figure["value"]))


def estimate_from_summary(summary: dict[str, Any], *, charge: Decimal) -> SessionEstimate:
    """The estimate for a stored benefit summary, using the network it reported."""
    net = "out_of_network" if summary.get("network") == "out_of_network" else "in_network"
    mh = summary.get("mental_health") or {}
    deductible = ((summary.get("deductible") or {}).get("individual") or {}).get(net) or {}
    oop = ((summary.get("out_of_pocket") or {}).get("individual") or {}).get(net) or {}
    return session_estimate(
        charge=charge,
        copay=_value(mh.get("copay")),
        coinsurance_percent=_value(mh.get("coinsurance")),
        deductible_remaining=_value(deductible.get("remaining")),
        oop_remaining=_value(oop.get("remaining")),
    )
