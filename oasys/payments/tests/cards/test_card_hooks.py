"""Card-saved listeners (payments/hooks.py) and the autopay pause (cards.autopay_pause):
apps above payments hear of a saved card once, after it is committed, whoever reports it
first; a failing listener does not undo the card; a pause is audited once and a new card
lifts it."""

from __future__ import annotations

import pytest

from oasys.core.models import AuditEvent
from oasys.payments import hooks
from oasys.payments.cards import autopay_pause, card_request_create, card_saved_record
from oasys.payments.models import CardRequestStatus, ClientPaymentProfile

from .conftest import save_card_on_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls: list = []

    def listener(profile, card_request):
        calls.append((profile.pk, profile.card_last4, card_request.pk, card_request.status))

    hooks.card_saved_listener_add(listener)
    yield calls
    hooks.card_saved_listener_remove(listener)


def test_listeners_hear_of_a_saved_card_once_after_commit(
        cash_client, account, ctx, payments, heard, django_capture_on_commit_callbacks):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False,
                              charge_open_invoices=True)
    session_id = save_card_on_form(payments, account, req, card="visa")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        card_saved_record(account=account, session_id=session_id, ctx=ctx)
    assert heard == []  # not before the commit
    for callback in pending:
        callback()
    profile = ClientPaymentProfile.objects.get()
    assert heard == [(profile.pk, "4242", req.pk, CardRequestStatus.COMPLETED)]

    # the return page and the webhook both report it: the second changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        card_saved_record(account=account, session_id=session_id, ctx=ctx)
    assert len(heard) == 1


def test_a_failing_listener_does_not_undo_the_card_or_stop_the_others(
        cash_client, account, ctx, payments, heard, django_capture_on_commit_callbacks):
    def broken(profile, card_request):
        raise RuntimeError("listener bug")

    hooks._card_saved.insert(0, broken)
    try:
        req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
        session_id = save_card_on_form(payments, account, req)
        with django_capture_on_commit_callbacks(execute=True):
            card_saved_record(account=account, session_id=session_id, ctx=ctx)
    finally:
        hooks.card_saved_listener_remove(broken)
    assert ClientPaymentProfile.objects.get().card_last4 == "4242"
    assert len(heard) == 1


def test_registering_a_listener_twice_calls_it_once(heard):
    before = hooks.card_saved_listeners()
    for listener in before:
        hooks.card_saved_listener_add(listener)
    assert hooks.card_saved_listeners() == before


def test_autopay_pause_is_audited_once_and_a_new_card_resumes_it(cash_client, account, ctx,
                                                                 payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    card_saved_record(account=account, session_id=save_card_on_form(payments, account, req),
                      ctx=ctx)
    profile = ClientPaymentProfile.objects.get()

    assert autopay_pause(profile=profile, ctx=ctx, reason="3 declines in a row") is True
    assert autopay_pause(profile=profile, ctx=ctx, reason="3 declines in a row") is False
    profile.refresh_from_db()
    assert profile.autopay_paused_at is not None and profile.card_last4 == "4242"
    [event] = AuditEvent.objects.filter(category="payment_method",
                                        detail__autopay_paused=True)
    assert event.object_id == str(profile.pk) and event.client_id_ref == cash_client.pk

    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    card_saved_record(account=account,
                      session_id=save_card_on_form(payments, account, req, card="mastercard"),
                      ctx=ctx)
    profile.refresh_from_db()
    assert profile.autopay_paused_at is None and profile.card_last4 == "4444"
