"""What a session is charged and under which CPT code (SPEC §12, DESIGN §4).

A client's pricing rule beats the service type's defaults, field by field: the rule's price
if it has one, else the service type's rate; the rule's CPT if it has one, else the service
type's. A $0 result is a real answer ("not billed for this service"), not a missing one.

A no-show is charged the service type's no-show fee when it has one (0 included: "no-shows
of this service are not billed"), whatever the client's rule says about attended sessions;
without a fee it is charged like an attended session, as it always was.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from oasys.core.money import money

if TYPE_CHECKING:
    from oasys.practice.models import ServiceType

    from .models import PricingRule


def charge_for(
    *, service_type: ServiceType, rule: PricingRule | None, no_show: bool = False
) -> tuple[Decimal | None, str]:
    """(amount, CPT code) for one session of `service_type` for the client owning `rule`
    (`no_show`: the session was a no-show).

    Amount is None only when neither the rule nor the service type has a rate; CPT is ""
    when neither has one (the readiness engine reports "Missing CPT code").
    """
    fee = getattr(service_type, "no_show_fee", None)
    if no_show and fee is not None:
        amount: Decimal | None = money(fee)
    elif rule is not None and rule.price is not None:
        amount = money(rule.price)
    elif service_type.rate is not None:
        amount = money(service_type.rate)
    else:
        amount = None
    cpt = (rule.cpt_code if rule is not None and rule.cpt_code else service_type.cpt_code) or ""
    return amount, cpt
