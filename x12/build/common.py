"""Segment helpers shared by the builders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from x12.envelope import Segment
from x12.errors import BuildError
from x12.models import Address, Adjustment, Party
from x12.values import x12_amount, x12_date, x12_number

__all__ = ["nm1", "address_segments", "cas_segments", "dtp", "amount", "require", "d8"]


def amount(value: Decimal) -> str:
    if not isinstance(value, Decimal):
        raise BuildError("amounts must be decimal.Decimal", expected="Decimal",
                         found=type(value).__name__)
    return x12_amount(value)


def d8(value: dt.date) -> str:
    return x12_date(value)


def require(condition: bool, message: str, **kw: object) -> None:
    if not condition:
        raise BuildError(message, **kw)  # type: ignore[arg-type]


def nm1(code: str, party: Party, *, id_qualifier: str | None = None) -> Segment:
    qual = party.id_qualifier or id_qualifier if party.id else None
    if party.organization:
        return ["NM1", code, "2", party.name, None, None, None, None, qual, party.id]
    return ["NM1", code, "1", party.name, party.first_name, party.middle_name, None,
            party.suffix, qual, party.id]


def address_segments(addr: Address | None) -> list[Segment]:
    if addr is None:
        return []
    return [["N3", addr.line1, addr.line2], ["N4", addr.city, addr.state, addr.postal_code]]


def dtp(qualifier: str, start: dt.date, end: dt.date | None = None) -> Segment:
    if end is not None and end != start:
        return ["DTP", qualifier, "RD8", f"{d8(start)}-{d8(end)}"]
    return ["DTP", qualifier, "D8", d8(start)]


def cas_segments(adjustments: Sequence[Adjustment]) -> list[Segment]:
    """CAS segments: one per group code, at most 6 (reason, amount, quantity) per segment."""
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        by_group.setdefault(adj.group, []).append(adj)
    out: list[Segment] = []
    for group, items in by_group.items():
        for i in range(0, len(items), 6):
            seg: Segment = ["CAS", group]
            for adj in items[i:i + 6]:
                seg += [adj.reason, amount(adj.amount),
                        None if adj.quantity is None else x12_number(adj.quantity)]
            out.append(seg)
    return out


def modifiers_ok(mods: Iterable[str]) -> bool:
    return all(len(m) == 2 and m.isalnum() for m in mods)
