"""Built-in template filters (no `{% load %}` needed): `{{ amount|money }}`,
`{{ when|day }}`, `{{ when|moment }}`, `{{ name|payer_name }}`. See oasys/core/formats.py."""

from __future__ import annotations

from django import template

from .. import formats

register = template.Library()


@register.filter
def money(value) -> str:
    return formats.money_text(value)


@register.filter
def day(value) -> str:
    return formats.date_text(value)


@register.filter
def moment(value) -> str:
    return formats.datetime_text(value)


@register.filter
def payer_name(value) -> str:
    return formats.payer_name_text(value)
