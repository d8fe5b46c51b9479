"""Small code lists used to put X12 codes "in words".

Meanings are short descriptions written for this package (not copies of the X12 or WPC
code-list text).  :func:`meaning` returns ``None`` for a code that is not listed.
"""

from __future__ import annotations

from x12.codes.ack import (
    AK9_GROUP_ERRORS,
    AK9_STATUS,
    IK3_SEGMENT_ERRORS,
    IK4_ELEMENT_ERRORS,
    IK5_STATUS,
    IK5_TRANSACTION_ERRORS,
)
from x12.codes.claim_status import CLAIM_STATUS, CLAIM_STATUS_CATEGORY, ENTITY
from x12.codes.eligibility import (
    AAA_FOLLOW_UP,
    AAA_REJECT_REASONS,
    COVERAGE_LEVEL,
    EB01_BENEFIT,
    NETWORK,
    SERVICE_TYPES,
    TIME_PERIOD,
)
from x12.codes.remittance import ADJUSTMENT_GROUP, CLAIM_STATUS_835

__all__ = [
    "AAA_FOLLOW_UP", "AAA_REJECT_REASONS", "ADJUSTMENT_GROUP", "AK9_GROUP_ERRORS",
    "AK9_STATUS", "CLAIM_STATUS", "CLAIM_STATUS_835", "CLAIM_STATUS_CATEGORY",
    "COVERAGE_LEVEL", "EB01_BENEFIT", "ENTITY", "IK3_SEGMENT_ERRORS", "IK4_ELEMENT_ERRORS",
    "IK5_STATUS", "IK5_TRANSACTION_ERRORS", "NETWORK", "SERVICE_TYPES", "TIME_PERIOD",
    "meaning",
]


def meaning(table: dict[str, str], code: str | None) -> str | None:
    if not code:
        return None
    return table.get(code)
