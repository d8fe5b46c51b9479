"""Pure ledger rules: legs of an entry, balancing, reversal, and AR aging buckets.

No Django here: these functions take and return plain values and are tested directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from oasys.core.money import ZERO, money


class Unbalanced(ValueError):
    """An entry whose debits and credits differ, or that moves no money."""


@dataclass(frozen=True)
class Leg:
    """One leg. `at` = (claim id, invoice id) when this leg belongs to another claim or
    invoice than its entry (moving a share between a claim's and an invoice's receivable,
    or from a primary claim to its secondary); None: the entry's own."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    memo: str = ""
    at: tuple[int | None, int | None] | None = None


def transfer(debit_account: str, credit_account: str, amount: Decimal,
             memo: str = "") -> list[Leg]:
    """Move `amount` from `credit_account` to `debit_account`. A negative amount (as in an
    835 reversal) moves it back: the accounts swap. Zero moves nothing."""
    amount = money(amount)
    if amount == 0:
        return []
    if amount < 0:
        debit_account, credit_account, amount = credit_account, debit_account, -amount
    return [Leg(debit_account, debit=amount, memo=memo),
            Leg(credit_account, credit=amount, memo=memo)]


def check_balanced(legs: Iterable[Leg]) -> list[Leg]:
    """The legs of one entry, refused unless Σ debits = Σ credits > 0 and every leg is
    one-sided, positive and in cents."""
    legs = list(legs)
    if not legs:
        raise Unbalanced("an entry needs at least one debit and one credit")
    for leg in legs:
        if leg.debit != money(leg.debit) or leg.credit != money(leg.credit):
            raise Unbalanced(f"{leg.account}: amounts must be whole cents")
        if leg.debit < 0 or leg.credit < 0 or (leg.debit > 0) == (leg.credit > 0):
            raise Unbalanced(f"{leg.account}: a leg is either a debit or a credit, positive")
    debits = sum((leg.debit for leg in legs), ZERO)
    credits = sum((leg.credit for leg in legs), ZERO)
    if debits != credits:
        raise Unbalanced(f"debits {debits} != credits {credits}")
    return legs


def reverse_legs(legs: Iterable[Leg]) -> list[Leg]:
    """The legs that undo `legs`: every debit becomes a credit of the same account."""
    return [Leg(leg.account, debit=leg.credit, credit=leg.debit, memo=leg.memo, at=leg.at)
            for leg in legs]


# --- accounts receivable aging --------------------------------------------------------------
BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
# How the report names them: the first is "current", the last "over 120 days".
BUCKET_LABELS = {"0-30": "Current (0–30)", "31-60": "31–60", "61-90": "61–90",
                 "91-120": "91–120", "120+": "Over 120"}


def aging_bucket(age_days: int) -> str:
    """Current (0–30), 31–60, 61–90, 91–120 and over 120 days (a future date is current)."""
    for limit, bucket in zip((30, 60, 90, 120), BUCKETS, strict=False):
        if age_days <= limit:
            return bucket
    return BUCKETS[-1]


def aging_totals(items: Iterable[tuple[dt.date, Decimal]], today: dt.date) -> dict[str, Decimal]:
    """Sum open balances `(date, amount)` into the buckets (zero buckets included)."""
    totals = {b: ZERO for b in BUCKETS}
    for day, amount in items:
        totals[aging_bucket((today - day).days)] += money(amount)
    return totals
