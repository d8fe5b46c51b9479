"""The account's webhook handlers: registered for their types, trusting only the current
account (a late or repeated event converges), deauthorization disconnects."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from oasys.payments.handlers import HANDLERS
from oasys.payments.models import PaymentAccountEvent

from .accounts import connect

pytestmark = pytest.mark.django_db


def test_handlers_are_registered():
    assert HANDLERS["account.updated"].__module__ == "oasys.payments.account_events"
    assert HANDLERS["account.application.deauthorized"].__module__ == \
        "oasys.payments.account_events"


def test_account_updated_events_in_any_order_converge(practice, owner, ctx, payments):
    account = connect(practice, owner, ctx)
    payments.account_state_set(account.stripe_account_id, "restricted")
    payments.account_state_set(account.stripe_account_id, "active")
    events = [e for e in payments.events if e.type == "account.updated"]
    handler = HANDLERS["account.updated"]
    outcomes = [handler(e, account) for e in reversed(events * 3)]
    account.refresh_from_db()
    assert account.status == "active" and set(outcomes) == {"status active"}
    assert PaymentAccountEvent.objects.filter(account=account).count() == 2


def test_deauthorized_disconnects_and_later_updates_do_not_reconnect(active_account, payments):
    acct = active_account.stripe_account_id
    event = payments.event_emit("account.application.deauthorized", acct,
                                {"id": "ca_x", "object": "application"})
    event = replace(event, created=dt.datetime.now(dt.UTC))
    assert HANDLERS["account.application.deauthorized"](event, active_account) == \
        "status disconnected"
    update = payments.event_emit("account.updated", acct, {"id": acct, "object": "account"})
    assert HANDLERS["account.updated"](update, active_account) == "status disconnected"
    assert HANDLERS["account.application.deauthorized"](event, active_account).endswith(
        "(unchanged)")
