"""The home page's chart: billed and collected per month as grouped bars, drawn on the
server as inline SVG (no JavaScript: the Content-Security-Policy allows no inline script).
Pure geometry, tested directly."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from oasys.core.formats import money_text
from oasys.core.money import ZERO

from .selectors import MonthMoney

WIDTH = 560
HEIGHT = 200
LEFT = 56  # room for the axis' amounts
BOTTOM = 24  # room for the month labels
TOP = 8
SERIES = ("Billed", "Collected")


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    series: str  # "Billed" or "Collected"
    title: str  # "Billed in Dec: $1,234.56", the bar's tooltip and accessible name


@dataclass(frozen=True)
class MonthChart:
    width: int
    height: int
    baseline: int
    bars: list[Bar]
    labels: list[tuple[int, str]]  # (x centre, month)
    ticks: list[tuple[int, str]]  # (y, amount)


def _nice_top(peak: Decimal) -> Decimal:
    """A round top for the axis at or above `peak` (1, 2 or 5 times a power of ten)."""
    if peak <= 0:
        return Decimal(100)
    power = Decimal(10) ** (len(str(int(peak.to_integral_value(ROUND_CEILING)))) - 1)
    for step in (1, 2, 5, 10):
        if peak <= power * step:
            return power * step
    return power * 10  # not reached


def month_chart(months: list[MonthMoney]) -> MonthChart:
    """One group per month, a Billed and a Collected bar in each. A negative month (refunds
    above payments) is drawn as no bar; its figure is in the table beside the chart."""
    peak = max([m.billed for m in months] + [m.collected for m in months] + [ZERO])
    top = _nice_top(peak)
    plot_h = HEIGHT - BOTTOM - TOP
    group_w = (WIDTH - LEFT) // max(len(months), 1)
    bar_w = max((group_w - 16) // len(SERIES), 4)
    bars: list[Bar] = []
    labels: list[tuple[int, str]] = []
    for i, m in enumerate(months):
        x0 = LEFT + i * group_w + 8
        labels.append((x0 + bar_w, m.label))
        for j, (name, value) in enumerate(zip(SERIES, (m.billed, m.collected), strict=True)):
            h = int(value / top * plot_h) if value > 0 else 0
            bars.append(Bar(x0 + j * bar_w, HEIGHT - BOTTOM - h, bar_w - 3, h, name,
                            f"{name} in {m.label}: {money_text(value)}"))
    ticks = [(HEIGHT - BOTTOM - int(plot_h * k / 2), _axis(top * k / 2)) for k in range(3)]
    return MonthChart(WIDTH, HEIGHT, HEIGHT - BOTTOM, bars, labels, ticks)


def _axis(value: Decimal) -> str:
    """"$0", "$500", "$1.5k", "$20k": short enough for the axis."""
    if value >= 1000:
        k = (value / 1000).normalize()
        return f"${k:f}k"
    return f"${int(value)}"
