"""Members' plans, the fee schedule and the deterministic triggers (see README.md).

A trigger is a token that the claim's patient control number or the member ID starts with
(case-insensitive; the patient control number wins).  Member-ID tokens also choose the
plan; configured members (`POST /_sandbox/members`) override the plan.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

D = Decimal

# In-network allowed amounts per unit (what a commercial payer's fee schedule might hold).
FEE_SCHEDULE: dict[str, Decimal] = {
    "90791": D("165.00"), "90792": D("180.00"), "90832": D("72.00"), "90833": D("68.00"),
    "90834": D("98.00"), "90836": D("95.00"), "90837": D("138.00"), "90838": D("125.00"),
    "90839": D("145.00"), "90840": D("68.00"), "90846": D("102.00"), "90847": D("106.00"),
    "90849": D("40.00"), "90853": D("32.00"), "96127": D("5.00"), "99213": D("88.00"),
    "99214": D("125.00"), "H0031": D("60.00"), "H2019": D("30.00"),
}
OUT_OF_NETWORK_FACTOR = D("0.70")  # out of network, the payer allows 70% of its schedule
DEFAULT_ALLOWED_SHARE = D("0.80")  # codes missing from the schedule: 80% of the charge
MENTAL_HEALTH_PREFIXES = ("908", "909", "H0", "H2", "9612", "9613")


@dataclass(slots=True)
class Plan:
    active: bool = True
    in_network: bool = True
    copay: Decimal = D("20.00")
    coinsurance: Decimal = D("0")  # 0.2 = 20% of the allowed amount after deductible
    deductible_individual: Decimal = D("0")
    deductible_family: Decimal = D("0")
    oop_max_individual: Decimal = D("3000.00")
    oop_max_family: Decimal = D("6000.00")
    visits_per_year: int = 30
    prior_auth: bool = False
    plan_name: str = "SANDBOX PPO"
    group_number: str = "GRP1000"
    carve_out_name: str | None = None  # mental health handled by another payer
    carve_out_payer_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in out.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        plan = cls()
        for key, value in data.items():
            if not hasattr(plan, key):
                plan.extra[key] = value
                continue
            current = getattr(plan, key)
            if isinstance(current, Decimal):
                value = D(str(value))
            elif isinstance(current, bool):
                value = bool(value)
            elif isinstance(current, int) and value is not None:
                value = int(value)
            setattr(plan, key, value)
        return plan


# Member-ID prefixes that pick a plan (checked longest first).
MEMBER_PLANS: dict[str, dict[str, Any]] = {
    "PAIDFULL": {"copay": "0"},
    "DED": {"copay": "0", "coinsurance": "0.2", "deductible_individual": "500",
            "deductible_family": "1000"},
    "COINS": {"copay": "0", "coinsurance": "0.2"},
    "COPAY": {"copay": "35"},
    "OON": {"in_network": False, "copay": "0", "coinsurance": "0.4",
            "deductible_individual": "1000", "deductible_family": "2000"},
    "AUTHREQ": {"prior_auth": True},
    "LIMIT": {"visits_per_year": 2},
    "INACTIVE": {"active": False},
    "CARVE": {"carve_out_name": "MINDWELL BEHAVIORAL HEALTH", "carve_out_payer_id": "MWBH1"},
    "PRIMARY": {"copay": "0", "coinsurance": "0.5"},
}

# Claim outcomes (patient control number or member-ID prefix).
CLAIM_TRIGGERS = (
    "PAIDFULL", "DENYAUTH", "DENYTIMELY", "DENYNC", "DENYINFO", "REJMEMBER", "REJPROV", "RFI",
    "DUP", "SLOW", "REVERSE", "PLB", "PRIMARY", "DED", "COINS", "COPAY", "OON", "AUTHREQ",
    "LIMIT", "INACTIVE", "CARVE",
)
# Eligibility-only outcomes (member-ID prefix).
ELIGIBILITY_TRIGGERS = ("UNKNOWN", "ELIGTIMEOUT")


def _prefix(value: str, tokens: tuple[str, ...] | list[str]) -> str | None:
    value = value.upper()
    for token in sorted(tokens, key=len, reverse=True):
        if value.startswith(token):
            return token
    return None


def claim_trigger(pcn: str, member_id: str) -> str:
    return _prefix(pcn, CLAIM_TRIGGERS) or _prefix(member_id, CLAIM_TRIGGERS) or ""


def eligibility_trigger(member_id: str) -> str:
    return _prefix(member_id, ELIGIBILITY_TRIGGERS) or ""


def plan_for(store, member_id: str) -> Plan:
    """The configured plan, else the member-ID prefix's plan, else the default plan."""
    row = store.one("SELECT plan FROM members WHERE member_id = ?", member_id.upper())
    if row is not None:
        return Plan.from_json(json.loads(row["plan"]))
    token = _prefix(member_id, list(MEMBER_PLANS))
    return Plan.from_json(MEMBER_PLANS[token]) if token else Plan()


def allowed_amount(procedure: str, charge: Decimal, units: Decimal, plan: Plan) -> Decimal:
    fee = FEE_SCHEDULE.get(procedure)
    allowed = (fee * units) if fee is not None else (charge * DEFAULT_ALLOWED_SHARE)
    if not plan.in_network:
        allowed *= OUT_OF_NETWORK_FACTOR
    return min(charge, allowed.quantize(D("0.01")))


def is_mental_health(procedure: str) -> bool:
    return procedure.startswith(MENTAL_HEALTH_PREFIXES)


def claim_plan(store, member_id: str, trigger: str) -> Plan:
    """The plan a claim is adjudicated under: a configured member's, else the claim
    trigger's plan (so a patient control number can pick one too), else ``plan_for``."""
    if store.one("SELECT 1 FROM members WHERE member_id = ?", member_id.upper()) is None \
            and trigger in MEMBER_PLANS:
        return Plan.from_json(MEMBER_PLANS[trigger])
    return plan_for(store, member_id)
