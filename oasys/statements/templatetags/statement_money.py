"""`{{ amount|signed_dollars }}`: a statement's change to the account ($130.00, -$78.00)."""

from __future__ import annotations

from django import template

from ..pdf import dollars

register = template.Library()


@register.filter
def signed_dollars(value) -> str:
    return "" if value is None or value == "" else dollars(value)
