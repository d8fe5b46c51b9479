"""Webhooks replayed three times and out of order converge: a practice's Stripe account goes
through onboarding, restriction, verification and activation; its `account.updated` events
are delivered in order, the whole run three times over, reversed, shuffled, with late
duplicates, and interleaved with the changes themselves; every delivery ends in the same
PaymentAccount as the in-order one, which is what Stripe says of the account now.

The harness can tell: a handler that trusted the payload (the negative control) ends
elsewhere when the events come reversed."""

from __future__ import annotations

import random
from dataclasses import asdict

import pytest
from django.utils import timezone

from oasys.payments.connection import payments_port
from oasys.payments.handlers import HANDLERS
from oasys.payments.models import PaymentAccount, StripeWebhookEvent, WebhookEventState

from .webhook_support import connected_account, deliver, registry

pytestmark = pytest.mark.django_db

W = WebhookEventState
# The account's life on Stripe's side, one change at a time.
CHANGES = ["onboarding", "restricted", "pending", "restricted", "active", "restricted",
           "active"]
FIELDS = ("charges_enabled", "payouts_enabled", "details_submitted", "requirements",
          "pending_verification", "disabled_reason")


def _snapshot(acct) -> dict:
    """Stripe's `account.updated` carries the whole account as it was at that moment."""
    return {"id": acct.id, "object": "account", "charges_enabled": acct.charges_enabled,
            "payouts_enabled": acct.payouts_enabled,
            "details_submitted": acct.details_submitted,
            "requirements": {"currently_due": [r.field for r in acct.currently_due],
                             "past_due": [r.field for r in acct.past_due],
                             "pending_verification": list(acct.pending_verification),
                             "disabled_reason": acct.disabled_reason or None}}


def _write(account: PaymentAccount, *, charges_enabled, payouts_enabled, details_submitted,
           currently_due, pending_verification, disabled_reason) -> str:
    PaymentAccount.objects.filter(pk=account.pk).update(
        charges_enabled=charges_enabled, payouts_enabled=payouts_enabled,
        details_submitted=details_submitted,
        requirements=[{"field": f, "reason": ""} for f in currently_due],
        pending_verification=list(pending_verification),
        disabled_reason=disabled_reason or "", synced_at=timezone.now())
    return "synced"


def fetching_handler(event, account: PaymentAccount) -> str:
    """What a real account.updated handler does: the event only says which account changed;
    the account as Stripe has it now is fetched and written."""
    acct = payments_port().account_get(account_id=event.account_id)
    return _write(account, charges_enabled=acct.charges_enabled,
                  payouts_enabled=acct.payouts_enabled,
                  details_submitted=acct.details_submitted,
                  currently_due=[r.field for r in acct.currently_due],
                  pending_verification=acct.pending_verification,
                  disabled_reason=acct.disabled_reason)


def trusting_handler(event, account: PaymentAccount) -> str:
    """The mistake the registry's rules forbid: writing what the payload says."""
    obj = event.object
    req = obj["requirements"]
    return _write(account, charges_enabled=obj["charges_enabled"],
                  payouts_enabled=obj["payouts_enabled"],
                  details_submitted=obj["details_submitted"],
                  currently_due=req["currently_due"],
                  pending_verification=req["pending_verification"],
                  disabled_reason=req["disabled_reason"])


def _state(account: PaymentAccount) -> dict:
    account.refresh_from_db()
    return {f: getattr(account, f) for f in ("status", *FIELDS)}


def _expected(fake, account: PaymentAccount) -> dict:
    acct = fake.accounts[account.stripe_account_id]
    return {"charges_enabled": acct.charges_enabled, "payouts_enabled": acct.payouts_enabled,
            "details_submitted": acct.details_submitted,
            "requirements": [{"field": r.field, "reason": ""} for r in acct.currently_due],
            "pending_verification": list(acct.pending_verification),
            "disabled_reason": acct.disabled_reason}


def _orders(n: int) -> dict[str, list[int]]:
    """Delivery orders of events 0..n-1 (all delivered after the changes)."""
    seq = list(range(n))
    out = {"in order": seq, "the whole run three times": seq * 3,
           "each one three times": [i for i in seq for _ in range(3)],
           "reversed": seq[::-1], "reversed three times": seq[::-1] * 3,
           "newest first, then the oldest late": [n - 1, *seq[1:-1][::-1], 0]}
    for seed in range(3):
        rng = random.Random(seed)
        shuffled = seq * 3
        rng.shuffle(shuffled)
        out[f"shuffled three times over (seed {seed})"] = shuffled
    return out


def _run(fake, slug: str, type_: str, order: list[int], *, interleave: bool = False,
         run_on_commit) -> PaymentAccount:
    """A fresh practice whose account goes through CHANGES; its events delivered in `order`
    (with `interleave`, each batch is delivered as soon as the changes it may follow are
    made, like a late, reordering network)."""
    account = connected_account(fake, slug=slug)
    events = []
    for state in CHANGES:
        acct = fake.account_state_set(account.stripe_account_id, state)
        events.append(fake.event_emit(type_, account.stripe_account_id, _snapshot(acct)))
        if interleave and len(events) % 3 == 0:  # three gathered: delivered newest first
            for e in events[-3:][::-1]:
                with run_on_commit():
                    deliver(fake, e)
    for i in order:
        with run_on_commit():
            deliver(fake, events[i])
    assert StripeWebhookEvent.objects.filter(event_id__in=[e.id for e in events]).count() \
        == len(events)
    assert set(StripeWebhookEvent.objects.filter(event_id__in=[e.id for e in events])
               .values_list("state", flat=True)) == {W.PROCESSED}
    return account


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def account_handler():
    """The account.updated handler under test: the product's, once it is registered, else a
    handler that does what the registry's rules ask (fetch the current account)."""
    with registry() as reg:
        if "account.updated" not in HANDLERS:
            reg.add("account.updated", fetching_handler)
        yield HANDLERS["account.updated"]


def test_account_events_converge_whatever_the_delivery(payments, account_handler,
                                                       run_on_commit):
    orders = _orders(len(CHANGES))
    results = {}
    for n, (name, order) in enumerate(orders.items()):
        account = _run(payments, f"p{n}", "account.updated", order,
                       run_on_commit=run_on_commit)
        results[name] = _state(account)
        assert {k: v for k, v in results[name].items() if k != "status"} == \
            _expected(payments, account), name
    # batches of three delivered newest first while the account still changes, then the
    # last event, then the first one again, late
    account = _run(payments, "interleaved", "account.updated", [len(CHANGES) - 1, 0],
                   interleave=True, run_on_commit=run_on_commit)
    results["interleaved with the changes, newest first"] = _state(account)
    baseline = results["in order"]
    assert {name: state for name, state in results.items() if state != baseline} == {}
    assert baseline["charges_enabled"] and baseline["payouts_enabled"]


def test_the_handler_ran_once_per_event_however_often_it_came(payments, account_handler,
                                                              run_on_commit):
    runs: list[str] = []
    with registry() as reg:
        def counting(event, account):
            runs.append(event.id)
            return account_handler(event, account)

        reg.add("account.updated", counting)
        _run(payments, "counted", "account.updated", _orders(len(CHANGES))[
            "shuffled three times over (seed 0)"], run_on_commit=run_on_commit)
    assert len(runs) == len(set(runs)) == len(CHANGES)


def test_the_harness_tells_a_payload_trusting_handler_apart(payments, run_on_commit):
    # Negative control: trusting the payload converges in order, and not reversed.
    with registry() as reg:
        reg.add("oasys_test.account_snapshot", trusting_handler)
        in_order = _run(payments, "t1", "oasys_test.account_snapshot", list(range(len(CHANGES))),
                        run_on_commit=run_on_commit)
        reversed_ = _run(payments, "t2", "oasys_test.account_snapshot",
                         list(range(len(CHANGES)))[::-1], run_on_commit=run_on_commit)
    assert {k: v for k, v in _state(in_order).items() if k != "status"} == \
        _expected(payments, in_order)
    assert _state(reversed_) != _state(in_order)
    assert not _state(reversed_)["charges_enabled"]  # left as the first event said


def test_events_carry_nothing_the_fetch_needs_but_the_account_id(payments):
    # The snapshot is what Stripe sends; the fetching handler reads none of it but the id.
    acct = payments.account_state_set(connected_account(payments).stripe_account_id, "active")
    snap = _snapshot(acct)
    assert snap["charges_enabled"] is True and asdict(acct)["id"] == snap["id"]
