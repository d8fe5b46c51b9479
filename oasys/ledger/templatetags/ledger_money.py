"""`{{ amount|owed }}`: a balance as a person reads it. A negative balance is a credit (more
was paid than was owed) and says so; it is never shown as a minus amount owed."""

from __future__ import annotations

from decimal import Decimal

from django import template

from oasys.core.money import dollars_text, money

register = template.Library()


@register.filter
def owed(value) -> str:
    if value is None or value == "":
        return ""
    amount = money(Decimal(value))
    if amount < 0:
        return f"{dollars_text(-amount)} credit"
    return dollars_text(amount)
