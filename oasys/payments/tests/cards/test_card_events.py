"""Stripe's card events (payments/card_events.py), handed to the handlers as the webhook task
does: the saved card is recorded once however often the event comes, and detached, updated
or deleted objects end in the same state in any order, because each handler fetches the
current object."""

from __future__ import annotations

from dataclasses import replace

import pytest

from oasys.core.models import AuditEvent
from oasys.payments.cards import (
    card_request_create,
    card_request_open,
    card_saved_record,
    client_payment_profile_ensure,
)
from oasys.payments.handlers import HANDLERS
from oasys.payments.models import CardRequestStatus, ClientPaymentProfile

from .conftest import save_card_on_form

pytestmark = pytest.mark.django_db


def _deliver(event, account):
    return HANDLERS[event.type](event, account)


def _events(payments, type_):
    return [e for e in payments.events if e.type == type_]


@pytest.fixture
def saved(cash_client, account, ctx, payments):
    """A card saved on the hosted form; the `checkout.session.completed` not yet handled."""
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    save_card_on_form(payments, account, req)
    [event] = _events(payments, "checkout.session.completed")
    return req, event


def test_the_handlers_are_registered():
    for type_ in ("checkout.session.completed", "payment_method.detached",
                  "payment_method.updated", "customer.deleted", "customer.updated"):
        assert type_ in HANDLERS


def test_checkout_completed_records_the_card_once_however_often_it_comes(saved, account,
                                                                         cash_client):
    req, event = saved
    assert _deliver(event, account) == "card on file: visa 4242"
    audits = AuditEvent.objects.count()
    for _ in range(3):  # duplicates and replays
        _deliver(event, account)
    assert AuditEvent.objects.count() == audits
    profile = ClientPaymentProfile.objects.get(client=cash_client)
    assert profile.card_last4 == "4242" and profile.autopay_consent_at is not None
    req.refresh_from_db()
    assert req.status == CardRequestStatus.COMPLETED


def test_the_return_page_first_then_the_webhook_changes_nothing(saved, account, ctx):
    req, event = saved
    first = card_saved_record(account=account, session_id=event.object["id"], ctx=ctx,
                              card_request=req)
    _deliver(event, account)
    assert ClientPaymentProfile.objects.get(pk=first.pk).updated_at == first.updated_at


def test_sessions_that_are_not_our_card_forms_are_ignored(saved, account, payments):
    _, event = saved
    other = payments.event_emit("checkout.session.completed", account.stripe_account_id,
                                {**event.object, "mode": "payment"})
    assert _deliver(other, account).startswith("not an Oasys card form")
    bare = payments.event_emit("checkout.session.completed", account.stripe_account_id,
                               {**event.object, "metadata": {}})
    assert _deliver(bare, account).startswith("not an Oasys card form")
    assert not ClientPaymentProfile.objects.exclude(card_payment_method_id="").exists()


def test_another_accounts_session_delivered_here_changes_nothing(other_client, other_account,
                                                                 account, ctx, payments):
    theirs = card_request_create(client=other_client, ctx=ctx, send_email=False)
    save_card_on_form(payments, other_account, theirs)
    [event] = _events(payments, "checkout.session.completed")
    assert _deliver(event, account).startswith("ignored")
    assert not ClientPaymentProfile.objects.exclude(card_payment_method_id="").exists()


def _detach_on_stripe(payments, account, pm):
    payments.card_detach(account_id=account.stripe_account_id, payment_method_id=pm,
                         idempotency_key="dashboard")
    return payments.event_emit("payment_method.detached", account.stripe_account_id,
                               {"id": pm, "object": "payment_method", "customer": None},
                               previous={"customer": "cus_x"})


def test_a_card_detached_on_stripe_is_cleared(saved, account, payments, cash_client):
    _, event = saved
    _deliver(event, account)
    pm = ClientPaymentProfile.objects.get(client=cash_client).card_payment_method_id
    detached = _detach_on_stripe(payments, account, pm)
    assert "profile updated" in _deliver(detached, account)
    profile = ClientPaymentProfile.objects.get(client=cash_client)
    assert not profile.has_card and profile.autopay_consent_at is None
    audits = AuditEvent.objects.count()
    _deliver(detached, account)  # a replay
    assert AuditEvent.objects.count() == audits


def test_completed_and_detached_in_either_order_end_without_a_card(saved, account, payments,
                                                                   cash_client):
    _, completed = saved
    pm = payments.sessions[(account.stripe_account_id,
                            completed.object["id"])].payment_method_id
    detached = _detach_on_stripe(payments, account, pm)
    # Out of order: the detachment first (no client has the card yet), then the completion,
    # which finds the card no longer attached.
    assert _deliver(detached, account) == "no client has that card"
    assert _deliver(completed, account).startswith("not recorded")
    assert not ClientPaymentProfile.objects.get(client=cash_client).has_card


def test_an_updated_card_is_refreshed_from_stripe(saved, account, payments, cash_client):
    _, event = saved
    _deliver(event, account)
    profile = ClientPaymentProfile.objects.get(client=cash_client)
    key = (account.stripe_account_id, profile.card_payment_method_id)
    payments.cards[key] = replace(payments.cards[key], exp_month=4, exp_year=2031)
    # The payload is stale on purpose: the handler reads the card from Stripe.
    updated = payments.event_emit("payment_method.updated", account.stripe_account_id,
                                  {"id": profile.card_payment_method_id,
                                   "customer": profile.stripe_customer_id,
                                   "card": {"exp_month": 1, "exp_year": 2020}})
    _deliver(updated, account)
    profile.refresh_from_db()
    assert (profile.card_exp_month, profile.card_exp_year) == (4, 2031)


def test_a_deleted_customer_clears_the_card_and_is_replaced_on_next_use(saved, account, ctx,
                                                                        payments, cash_client):
    _, event = saved
    _deliver(event, account)
    profile = ClientPaymentProfile.objects.get(client=cash_client)
    key = (account.stripe_account_id, profile.stripe_customer_id)
    payments.customers[key] = replace(payments.customers[key], deleted=True)
    deleted = payments.event_emit("customer.deleted", account.stripe_account_id,
                                  {"id": profile.stripe_customer_id, "object": "customer"})
    _deliver(deleted, account)
    profile.refresh_from_db()
    assert not profile.has_card and profile.customer_deleted_at is not None
    # A stale `customer.updated` from before the deletion cannot bring the card back.
    stale = payments.event_emit("customer.updated", account.stripe_account_id,
                                {"id": profile.stripe_customer_id,
                                 "invoice_settings": {"default_payment_method": "pm_x"}})
    assert "unchanged" in _deliver(stale, account)
    old_customer = profile.stripe_customer_id
    again = client_payment_profile_ensure(client=cash_client, ctx=ctx)
    assert again.pk == profile.pk and again.stripe_customer_id != old_customer
    assert again.customer_deleted_at is None
    # And a new link works on the new customer.
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    assert card_request_open(token=req.token, consent=True).customer_id == \
        again.stripe_customer_id
