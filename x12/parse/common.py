"""Helpers shared by the transaction parsers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from x12.errors import ParseError
from x12.models import Address, Adjustment, Party
from x12.reader import TransactionSet, element
from x12.values import date_range, opt_decimal, to_date, to_decimal

el = element


def dec(els: list[str], i: int, pos: int) -> Decimal:
    return to_decimal(els[i] if i < len(els) else "", position=pos, segment_id=els[0],
                      element=i)


def opt_dec(els: list[str], i: int, pos: int) -> Decimal | None:
    return opt_decimal(el(els, i), position=pos, segment_id=els[0], element=i)


def date_of(els: list[str], i: int, pos: int) -> dt.date:
    return to_date(el(els, i), position=pos, segment_id=els[0], element=i)


def opt_date_of(els: list[str], i: int, pos: int) -> dt.date | None:
    text = el(els, i)
    return None if text == "" else date_of(els, i, pos)


def dtp_range(els: list[str], pos: int) -> tuple[dt.date | None, dt.date | None]:
    """DTP*qual*format*value -> (start, end)."""
    return date_range(el(els, 2), el(els, 3), position=pos, segment_id=els[0], element=3)


def party_from_nm1(els: list[str]) -> Party:
    return Party(
        name=el(els, 3), first_name=el(els, 4) or None, middle_name=el(els, 5) or None,
        suffix=el(els, 7) or None, organization=el(els, 2) == "2",
        id_qualifier=el(els, 8) or None, id=el(els, 9) or None)


def party_from_n1(els: list[str]) -> Party:
    return Party(name=el(els, 2), organization=True, id_qualifier=el(els, 3) or None,
                 id=el(els, 4) or None)


def add_n3(party: Party | None, els: list[str]) -> None:
    if party is None:
        return
    party.address = Address(el(els, 1), "", "", "", el(els, 2) or None)


def add_n4(party: Party | None, els: list[str]) -> None:
    if party is None:
        return
    if party.address is None:
        party.address = Address("", "", "", "")
    party.address.city = el(els, 1)
    party.address.state = el(els, 2)
    party.address.postal_code = el(els, 3)


def cas_adjustments(els: list[str], pos: int) -> list[Adjustment]:
    """CAS*group*reason*amount*quantity... (up to 6 triplets)."""
    group = els[1] if len(els) > 1 else ""
    if not group:
        raise ParseError("CAS without group code", position=pos, segment_id="CAS", element=1,
                         expected="CO, OA, PI or PR")
    out: list[Adjustment] = []
    n = len(els)
    for i in range(2, min(n, 20), 3):
        reason = els[i]
        if not reason:
            continue
        amount = to_decimal(els[i + 1] if i + 1 < n else "", position=pos, segment_id="CAS",
                            element=i + 1)
        qty = els[i + 2] if i + 2 < n else ""
        out.append(Adjustment(group, reason, amount,
                              to_decimal(qty, position=pos, segment_id="CAS", element=i + 2)
                              if qty else None))
    if not out:
        raise ParseError("CAS without any adjustment", position=pos, segment_id="CAS",
                         element=2, expected="reason code")
    return out


def require_set(ts: TransactionSet, set_id: str) -> None:
    if ts.set_id != set_id:
        raise ParseError(f"not a {set_id} transaction set", position=ts.start_position,
                         segment_id="ST", element=1, expected=set_id, found=ts.set_id)
