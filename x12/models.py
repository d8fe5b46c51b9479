"""Plain dataclasses shared by builders and parsers (names, addresses, adjustments)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from x12.values import fmt_amount


@dataclass(slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"line1": self.line1, "line2": self.line2, "city": self.city,
                "state": self.state, "postal_code": self.postal_code}


@dataclass(slots=True)
class Party:
    """A person or an organisation named in an NM1 (or N1) segment.

    For a person ``name`` is the last name; for an organisation it is the whole name.
    ``id`` goes into NM109 with qualifier ``id_qualifier`` (NM108).
    """

    name: str
    first_name: str | None = None
    middle_name: str | None = None
    suffix: str | None = None
    organization: bool = False
    id: str | None = None
    id_qualifier: str | None = None
    address: Address | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "first_name": self.first_name, "middle_name": self.middle_name,
            "organization": self.organization, "id_qualifier": self.id_qualifier,
            "id": self.id, "address": self.address.to_dict() if self.address else None,
        }


@dataclass(slots=True)
class Adjustment:
    """One CAS adjustment: group code (CO, PR, OA, PI), reason code (CARC), amount, quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "reason": self.reason, "amount": fmt_amount(self.amount),
                "quantity": None if self.quantity is None else str(self.quantity)}
