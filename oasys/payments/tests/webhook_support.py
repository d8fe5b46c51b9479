"""Helpers for the webhook tests: a connected practice on the fake, signed deliveries, and
test handlers registered in the real registry (and removed after the test)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from oasys.core.services import practice_create
from oasys.payments.fake import FakePayments
from oasys.payments.handlers import HANDLERS, EventHandler
from oasys.payments.models import PaymentAccount, StripeWebhookEvent
from oasys.payments.port import Event
from oasys.payments.webhooks import stripe_event_receive


def connected_account(fake: FakePayments, *, slug: str = "connected",
                      practice=None) -> PaymentAccount:
    """A practice whose payment account is a fresh account on the fake."""
    practice = practice or practice_create(name=f"Practice {slug}", slug=slug)
    acct = fake.account_create(email=f"owner@{slug}.example", business_name=f"Practice {slug}",
                               metadata={"practice": str(practice.pk)},
                               idempotency_key=f"acct-{slug}")
    return PaymentAccount.objects.create(practice=practice, stripe_account_id=acct.id)


def deliver(fake: FakePayments, event: Event | dict[str, Any], **signing) -> StripeWebhookEvent:
    body, header = fake.signed(event, **signing)
    return stripe_event_receive(payload=body, signature=header)


class Registry:
    """Registers test handlers in `HANDLERS` for one test and takes them out again."""

    def __init__(self) -> None:
        self.added: dict[str, EventHandler | None] = {}

    def add(self, type_: str, fn: EventHandler) -> EventHandler:
        self.added.setdefault(type_, HANDLERS.get(type_))
        HANDLERS[type_] = fn
        return fn

    def restore(self) -> None:
        for type_, before in self.added.items():
            if before is None:
                HANDLERS.pop(type_, None)
            else:
                HANDLERS[type_] = before


@contextlib.contextmanager
def registry() -> Iterator[Registry]:
    reg = Registry()
    try:
        yield reg
    finally:
        reg.restore()


def recording(calls: list, outcome: str = "done",
              fail: Callable[[], Exception | None] = lambda: None) -> EventHandler:
    """A handler that records (event id, practice id) and returns `outcome`, or raises what
    `fail()` gives (None: it succeeds)."""

    def handler(event: Event, account: PaymentAccount) -> str:
        calls.append((event.id, account.practice_id))
        error = fail()
        if error is not None:
            raise error
        return outcome

    return handler
