"""Display helpers for client data."""

from __future__ import annotations

from decimal import Decimal

from django import template

from oasys.core.codes import phone_display
from oasys.core.formats import money_text

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """(555) 555-0100 from the ten stored digits."""
    return phone_display(value or "")


@register.filter
def dollars(value: Decimal | None) -> str:
    """$120.00; an em dash when there is no amount."""
    return money_text(value)
