"""Money is Decimal with two places, rounded one way, everywhere."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """Quantise to cents, half up. Floats are refused: they cannot hold cents exactly."""
    if isinstance(value, float):
        raise TypeError("money() refuses floats; pass a Decimal, int or str")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def money_str(value: Decimal | None) -> str | None:
    return None if value is None else f"{money(value):.2f}"


def dollars_text(value: Decimal | int | str) -> str:
    """An amount as a person reads it: "$10,235.00", "−$5.00" (a real minus sign; formats.py
    says why)."""
    amount = money(value) + 0  # + 0 turns -0.00 into 0.00
    return f"\u2212${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"
