"""Stripe's invoice events replayed: delivered three times each and in shuffled order (every
order, for the short histories), they end in the state one in-order delivery reaches: the
same status, payments, refunds, figures and the same journal entries, counted by type. Each
history happens on the fake's side first (the client pays on the hosted page, staff refund
or void in Stripe's dashboard), as when deliveries resume after an outage; a delivery as
each thing happens ("live") reaches the same status and money."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import pytest

from oasys.invoices.models import InvoiceStatus
from oasys.payments.models import StripeWebhookEvent, WebhookEventState
from oasys.payments.port import Event

from .stripe_events_support import StripeWorld, invoice_state, stripe_world

pytestmark = pytest.mark.django_db

S = InvoiceStatus
Step = Callable[[StripeWorld, object], list[Event]]


def finalized(w, inv):
    return [w.invoice_event("invoice.finalized", inv)]


def paid(w, inv):
    charge = w.hosted_pay(inv)
    return [w.charge_event("charge.succeeded", charge.id),  # (no handler: acknowledged)
            w.invoice_event("invoice.payment_succeeded", inv),
            w.invoice_event("invoice.paid", inv)]


def refund(amount: str) -> Step:
    def step(w, inv):
        r = w.dashboard_refund(inv, amount)
        return [w.refund_event("refund.created", r),
                w.charge_event("charge.refunded", r.charge_id)]
    return step


def voided(w, inv):
    w.dashboard_void(inv)
    return [w.invoice_event("invoice.voided", inv)]


def uncollectible(w, inv):
    w.dashboard_uncollectible(inv)
    return [w.invoice_event("invoice.marked_uncollectible", inv)]


def overdue(w, inv):
    return [w.invoice_event("invoice.overdue", inv)]


def failed(w, inv):
    return [w.invoice_event("invoice.payment_failed", inv)]


# name: (status ours starts in, Stripe's history, the status it ends in)
HISTORIES: dict[str, tuple[str, list[Step], str]] = {
    "pay then two refunds": (S.OPEN, [finalized, paid, refund("30.00"), refund("20.00")],
                             S.PAID),
    "sent, overdue, a failure, then paid": (S.SENDING, [finalized, overdue, failed, paid],
                                            S.PAID),
    "void": (S.OPEN, [finalized, voided], S.VOID),
    "void while sending": (S.SENDING, [finalized, voided], S.VOID),
    "uncollectible then void": (S.OPEN, [finalized, uncollectible, voided], S.VOID),
    "uncollectible, then paid and refunded": (
        S.OPEN, [finalized, uncollectible, paid, refund("10.00")], S.PAID),
}
# Histories in which a live delivery also writes the intermediate step's entries (a
# write-off that a later payment reverses, or a void finds nothing left to void): the same
# status and money, but more journal entries than a delivery after the fact.
INTERMEDIATE_ENTRIES = {"uncollectible then void", "uncollectible, then paid and refunded"}


@pytest.fixture
def world(payments, practice, owner):
    return stripe_world(payments, practice, owner)


def _history(world, name: str, live: bool) -> tuple[object, list[Event]]:
    start, steps, _end = HISTORIES[name]
    invoice = world.invoice("60.00", "40.00", status=start)
    events: list[Event] = []
    for step in steps:
        emitted = step(world, invoice)
        events += emitted
        if live:
            for event in emitted:
                world.deliver(event)
    return invoice, events


def _deliver_all(world, events: list[Event], *, again: bool) -> None:
    for event in events:
        row = world.deliver(event)
        assert row.state in (WebhookEventState.PROCESSED, WebhookEventState.IGNORED), \
            (event.type, row.outcome)
        if again:  # the handler run a second time (a retry, a second worker)
            world.handle(event)


def _orders(events: list[Event], seed: int) -> list[list[Event]]:
    """Every order of a short history (each event three times, the copies together), else
    newest first (a backlog delivered backwards: every refund before its payment) and
    eight shuffles of the tripled list."""
    if len(events) <= 4:
        return [[e for e in order for _ in range(3)]
                for order in itertools.permutations(events)]
    rng = random.Random(seed)
    orders = [[e for e in reversed(events) for _ in range(3)]]
    for _ in range(8):
        tripled = events * 3
        rng.shuffle(tripled)
        orders.append(tripled)
    return orders


@pytest.mark.parametrize("name", list(HISTORIES))
def test_replayed_and_shuffled_deliveries_end_as_one_in_order_delivery(world, name):
    _start, _steps, end = HISTORIES[name]
    reference, events = _history(world, name, live=False)
    _deliver_all(world, events, again=False)
    expected = invoice_state(reference)
    assert expected["status"] == end

    live, _ = _history(world, name, live=True)
    got = invoice_state(live)
    expected_live = dict(expected)
    if name in INTERMEDIATE_ENTRIES:
        got.pop("journal")
        expected_live.pop("journal")
    assert got == expected_live, "live delivery"

    orders = _orders(events, seed=len(name))
    for n, _order in enumerate(orders):
        invoice, fresh = _history(world, name, live=False)
        # the same history on a new invoice: its events in the order this run permutes
        position = {e.id: i for i, e in enumerate(events)}
        mapped = [fresh[position[e.id]] for e in orders[n]]
        _deliver_all(world, mapped, again=True)
        assert invoice_state(invoice) == expected, f"order {n}: {[e.type for e in mapped]}"
    # every delivery of an event was stored once
    assert StripeWebhookEvent.objects.count() == len(events) * (2 + len(orders))
