"""A server-rendered bar chart (inline SVG, no JavaScript): pure geometry, tested directly."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from oasys.core.money import ZERO

WIDTH = 640
HEIGHT = 240
LEFT = 70
BOTTOM = 30
TOP = 10


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    value: Decimal
    series: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[int, str]]  # (x centre, bucket label)
    ticks: list[tuple[int, Decimal]]  # (y, value)
    baseline: int


def aging_chart(buckets: tuple[str, ...], series: dict[str, dict[str, Decimal]]) -> Chart:
    """Grouped bars: one group per bucket, one bar per series (negative values drawn as 0)."""
    peak = max([v for s in series.values() for v in s.values()] + [ZERO])
    scale_top = peak if peak > 0 else Decimal(1)
    plot_h = HEIGHT - BOTTOM - TOP
    group_w = (WIDTH - LEFT) // max(len(buckets), 1)
    bar_w = max((group_w - 20) // max(len(series), 1), 4)
    bars, labels = [], []
    for i, bucket in enumerate(buckets):
        x0 = LEFT + i * group_w + 10
        labels.append((x0 + (bar_w * len(series)) // 2, bucket))
        for j, (name, values) in enumerate(series.items()):
            value = values.get(bucket, ZERO)
            h = int((max(value, ZERO) / scale_top) * plot_h) if value > 0 else 0
            bars.append(Bar(x0 + j * bar_w, HEIGHT - BOTTOM - h, bar_w - 2, h, value, name,
                            f"{name} {bucket} days: ${value}"))
    ticks = [(HEIGHT - BOTTOM - int(plot_h * k / 4), (scale_top * k / 4).quantize(Decimal("1")))
             for k in range(5)] if peak > 0 else [(HEIGHT - BOTTOM, ZERO)]
    return Chart(WIDTH, HEIGHT, bars, labels, ticks, HEIGHT - BOTTOM)
