"""Listeners told when a client saves a card: the way apps above payments (invoices) act on a
new card without payments importing them (payments sits below invoices in the layers, see
pyproject.toml's import-linter contract).

A listener is called once per card recorded by `cards.card_saved_record`, after the
transaction that recorded it commits, with the client's profile (the new default card) and
the card request the client completed. Listeners run in registration order; one that fails
is logged (ids only) and does not stop the others or undo the saved card.

Invoices registers its listener in `InvoicesConfig.ready()` (charge the open invoices when
staff ticked "charge open invoices" on the request)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .models import CardRequest, ClientPaymentProfile

log = logging.getLogger(__name__)

CardSavedListener = Callable[[ClientPaymentProfile, CardRequest], None]

_card_saved: list[CardSavedListener] = []


def card_saved_listener_add(listener: CardSavedListener) -> None:
    """Register `listener`; registering the same one again changes nothing (ready() may run
    more than once in tests)."""
    if listener not in _card_saved:
        _card_saved.append(listener)


def card_saved_listener_remove(listener: CardSavedListener) -> None:
    if listener in _card_saved:
        _card_saved.remove(listener)


def card_saved_listeners() -> tuple[CardSavedListener, ...]:
    return tuple(_card_saved)


def card_saved_notify(*, profile: ClientPaymentProfile, card_request: CardRequest) -> None:
    """Call every listener. A failure is logged with ids only (no PHI) and swallowed: the
    card is saved whatever a listener does, and each listener is responsible for retrying
    its own work (invoices' charges leave a scheduled retry behind)."""
    for listener in tuple(_card_saved):
        try:
            listener(profile, card_request)
        except Exception:
            log.exception("card-saved listener %s failed (profile %s, card request %s)",
                          getattr(listener, "__qualname__", listener), profile.pk,
                          card_request.pk)
