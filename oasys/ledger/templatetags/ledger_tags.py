"""Ledger figures shown on other apps' pages: the client overview shows what the client owes.

A template tag rather than an import in clients.views: the ledger builds on clients (its
client pages look the client up), so the client page asks the ledger here, as it asks
eligibility_tags for the latest check and appointment_tags for the recent sessions."""

from __future__ import annotations

from decimal import Decimal

from django import template

from oasys.clients.models import Client

from ..selectors import client_balance

register = template.Library()


@register.simple_tag
def client_balance_of(client: Client) -> Decimal:
    """What the client owes, from the journal (never a stored total). The client was looked
    up in the viewer's practice, so its practice is the one to read from."""
    return client_balance(practice=client.practice, client_id=client.pk)
