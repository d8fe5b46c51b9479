"""Showing benefit summaries: figures with their source, and the latest check on the
client's billing page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from oasys.clients.models import Client
from oasys.core.money import money

from ..benefits import figure_details, figure_text, figure_value_text
from ..estimate import estimate_from_summary
from ..selectors import eligibility_check_latest

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.inclusion_tag("eligibility/_figure.html")
def figure(fig: dict[str, Any] | None, what: str = "", compact: bool = False) -> dict[str, Any]:
    """One figure: its value with the unit and, in words, what it is (`what`: "deductible"),
    for which period, network and coverage level, and the service type it came from; "not
    reported" when the payer did not say (never zero). `compact` (a table whose rows name
    the network and level) shows those only in the tooltip."""
    return {"fig": fig, "value": figure_value_text(fig),
            "details": figure_details(fig, what=what, compact=compact),
            "text": figure_text(fig, what=what)}


@register.inclusion_tag("eligibility/_latest.html", takes_context=True)
def eligibility_latest(context: dict[str, Any], client: Client) -> dict[str, Any]:
    """The latest check's summary for the client's billing page. The page's view has
    already audited the insurance read this belongs to."""
    request = context["request"]
    check = eligibility_check_latest(practice=request.practice, client=client)
    return {"client": client, "check": check, "request": request}


@register.simple_tag
def session_estimate_for(summary: dict[str, Any], charge: Decimal | str | None):
    if charge in (None, ""):
        return None
    return estimate_from_summary(summary, charge=money(charge))
