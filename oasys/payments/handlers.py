"""Which function handles which Stripe event type. Handler modules register with
`@webhook_handler("account.updated", …)`; `webhooks.py` stores each event and calls the
handler for its type from a task. A handler receives the verified event and the practice's
payment account, and returns a short outcome for the event's row ("status active", …).

Handlers must be order-independent: they use the event only to learn which object changed,
fetch the current object from Stripe, and write what it says (events come late, twice, and
out of order). Unknown types have no handler and are acknowledged and ignored."""

from __future__ import annotations

from collections.abc import Callable

from .models import PaymentAccount
from .port import Event

EventHandler = Callable[[Event, PaymentAccount], str]

HANDLERS: dict[str, EventHandler] = {}


def webhook_handler(*types: str) -> Callable[[EventHandler], EventHandler]:
    def register(fn: EventHandler) -> EventHandler:
        for type_ in types:
            if type_ in HANDLERS and HANDLERS[type_] is not fn:
                raise ValueError(f"two handlers for {type_}")
            HANDLERS[type_] = fn
        return fn
    return register
