"""What a session is charged and under which CPT code (SPEC §12, DESIGN §4).

A client's pricing rule beats the service type's defaults, field by field: the rule's price
if it has one, else the service type's rate; the rule's CPT if it has one, else the service
type's. A $0 result is a real answer ("not billed for this service"), not a missing one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from oasys.core.money import money

if TYPE_CHECKING:
    from oasys.practice.models import ServiceType

    from .models import PricingRule


def charge_for(
    *, service_type: ServiceType, rule: PricingRule | None
) -> tuple[Decimal | None, str]:
    """(amount, CPT code) for one session of `service_type` for the client owning `rule`.

    Amount is None only when neither the rule nor the service type has a rate; CPT is ""
    when neither has one (the readiness engine reports "Missing CPT code").
    """
    if rule is not None and rule.price is not None:
        amount: Decimal | None = money(rule.price)
    elif service_type.rate is not None:
        amount = money(service_type.rate)
    else:
        amount = None
    cpt = (rule.cpt_code if rule is not None and rule.cpt_code else service_type.cpt_code) or ""
    return amount, cpt
