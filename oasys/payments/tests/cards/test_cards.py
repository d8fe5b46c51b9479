"""Cards on file, the services (payments/cards.py) against the in-memory fake: the client's
Stripe customer made once, card links (email, consent, expiry), recording the saved card
once from wherever it is reported, and removing it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.core import mail
from django.utils import timezone

from oasys.core.errors import Conflict, InvalidInput, NotFound
from oasys.core.models import AuditEvent
from oasys.payments.cards import (
    autopay_consent_text,
    card_remove,
    card_request_create,
    card_request_open,
    card_saved_record,
    client_payment_profile_ensure,
)
from oasys.payments.connection import payments_fake_install
from oasys.payments.fake import FakePayments
from oasys.payments.idempotency import idempotency_key
from oasys.payments.models import (
    AccountStatus,
    CardRequest,
    CardRequestStatus,
    ClientPaymentProfile,
    PaymentAccount,
    StripeRequest,
)
from oasys.payments.port import RetryableError

from .conftest import account_active, save_card_on_form

pytestmark = pytest.mark.django_db


def _calls(payments, method):
    return [kw for name, kw in payments.calls if name == method]


# --- the Stripe customer ----------------------------------------------------------------------


def test_profile_is_created_once_with_name_and_email_only(cash_client, account, ctx, payments):
    first = client_payment_profile_ensure(client=cash_client, ctx=ctx)
    again = client_payment_profile_ensure(client=cash_client, ctx=ctx)
    assert first.pk == again.pk
    assert ClientPaymentProfile.objects.count() == 1
    [call] = _calls(payments, "customer_create")
    assert call["account_id"] == account.stripe_account_id  # on the practice's account
    assert call["idempotency_key"] == idempotency_key("customer", cash_client.pk)
    customer = payments.customers[(account.stripe_account_id, first.stripe_customer_id)]
    assert (customer.name, customer.email) == ("Maria Lopez", "maria@example.com")
    # Ids only in the metadata: nothing clinical, no date of birth.
    assert customer.metadata == {"oasys_client_id": str(cash_client.pk),
                                 "oasys_practice_id": str(cash_client.practice_id)}
    assert "1985" not in repr(call)


def test_a_failed_creation_retried_makes_one_customer(cash_client, account, ctx, payments):
    payments.fail_next("customer_create", RetryableError("connection reset"))
    with pytest.raises(Conflict, match="did not answer"):
        client_payment_profile_ensure(client=cash_client, ctx=ctx)
    assert not ClientPaymentProfile.objects.exists()
    profile = client_payment_profile_ensure(client=cash_client, ctx=ctx)
    keys = {c["idempotency_key"] for c in _calls(payments, "customer_create")}
    assert keys == {idempotency_key("customer", cash_client.pk)}  # the same key both times
    mine = [c for (acct, _), c in payments.customers.items()
            if acct == account.stripe_account_id]
    assert [c.id for c in mine] == [profile.stripe_customer_id]


def test_a_creation_lost_a_day_ago_is_found_not_made_again(cash_client, account, ctx, payments):
    # The call reached Stripe, then the worker died before writing the profile; Stripe has
    # forgotten the key since. The lookup by our metadata finds the customer.
    made = payments.customer_create(
        account_id=account.stripe_account_id, email=cash_client.email, name="Maria Lopez",
        metadata={"oasys_client_id": str(cash_client.pk)}, idempotency_key="forgotten")
    StripeRequest.objects.create(key=idempotency_key("customer", cash_client.pk),
                                 operation="customer_create", practice=cash_client.practice,
                                 created_at=timezone.now() - dt.timedelta(hours=30))
    profile = client_payment_profile_ensure(client=cash_client, ctx=ctx)
    assert profile.stripe_customer_id == made.id
    assert len(_calls(payments, "customer_create")) == 1  # only the one above


class _RacingFake(FakePayments):
    """While our request is at Stripe, another request for the same client finishes first
    (same key, so the same customer) and writes the profile."""

    def __init__(self, client, account):
        super().__init__()
        self.client, self.account = client, account

    def customer_create(self, **kwargs):
        customer = super().customer_create(**kwargs)
        ClientPaymentProfile.objects.get_or_create(
            client=self.client, defaults={"practice_id": self.client.practice_id,
                                          "account": self.account,
                                          "stripe_customer_id": customer.id})
        return customer


def test_two_racing_requests_end_with_one_profile(cash_client, practice, ctx):
    fake = payments_fake_install(_RacingFake(cash_client, None))
    account = account_active(practice, fake)
    fake.account = account
    profile = client_payment_profile_ensure(client=cash_client, ctx=ctx)
    assert ClientPaymentProfile.objects.filter(client=cash_client).count() == 1
    assert profile.stripe_customer_id == ClientPaymentProfile.objects.get().stripe_customer_id


def test_no_account_or_an_account_that_cannot_charge_is_refused(cash_client, practice, ctx,
                                                                payments):
    with pytest.raises(Conflict, match="Payment processing is Not connected"):
        client_payment_profile_ensure(client=cash_client, ctx=ctx)
    account = account_active(practice, payments)
    PaymentAccount.objects.filter(pk=account.pk).update(status=AccountStatus.RESTRICTED)
    with pytest.raises(Conflict, match="Payment processing is Restricted"):
        card_request_create(client=cash_client, ctx=ctx, send_email=True)
    assert not _calls(payments, "customer_create")
    assert not CardRequest.objects.exists()


# --- card links --------------------------------------------------------------------------------


def test_the_email_carries_the_link_and_no_phi(cash_client, account, ctx, owner,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        req = card_request_create(client=cash_client, ctx=ctx, user=owner, send_email=True)
    [message] = mail.outbox
    assert message.to == ["maria@example.com"]
    assert "Serenity Test Counseling" in message.from_email
    assert message.subject == "Serenity Test Counseling: add a card for your sessions"
    link = f"http://127.0.0.1:8000/pay/card/{req.token}/"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    for body in (message.body, html):
        assert link in body
        assert "Maria" in body
        assert "Lopez" not in body  # first name only
        assert "1985" not in body and "04/12" not in body
    req.refresh_from_db()
    assert req.emailed_to == "maria@example.com" and req.emailed_at is not None
    assert req.requested_by == owner and req.status == CardRequestStatus.PENDING
    assert len(req.token) >= 40  # secrets.token_urlsafe(32)
    assert req.expires_at - req.created_at == dt.timedelta(days=7)


def test_a_client_without_email_gets_no_link_by_email(cash_client, account, ctx):
    cash_client.email = ""
    cash_client.save()
    with pytest.raises(InvalidInput) as exc:
        card_request_create(client=cash_client, ctx=ctx, send_email=True)
    assert "no email address" in exc.value.errors["email"]
    # With the client in the room no email is needed.
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    assert req.emailed_to == "" and not mail.outbox


def test_a_newer_link_cancels_the_pending_one(cash_client, account, ctx):
    old = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    new = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    old.refresh_from_db()
    assert old.status == CardRequestStatus.CANCELLED
    assert [e.to_status for e in old.events.all()] == ["pending", "cancelled"]
    with pytest.raises(Conflict, match="replaced by a newer one"):
        card_request_open(token=old.token, consent=True)
    assert card_request_open(token=new.token, consent=True).status == "open"


def test_consent_is_required_and_recorded(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    with pytest.raises(InvalidInput) as exc:
        card_request_open(token=req.token, consent=False)
    assert "authorize" in exc.value.errors["consent"]
    assert not _calls(payments, "setup_session_create")
    session = card_request_open(token=req.token, consent=True)
    req.refresh_from_db()
    assert req.consent_text == autopay_consent_text(practice=cash_client.practice)
    assert "Serenity Test Counseling to keep this card on file" in req.consent_text
    assert req.consent_at is not None and req.checkout_session_id == session.id
    [call] = _calls(payments, "setup_session_create")
    assert call["success_url"] == (f"http://127.0.0.1:8000/pay/card/{req.token}/done/"
                                   "?session_id={CHECKOUT_SESSION_ID}")
    assert call["cancel_url"] == f"http://127.0.0.1:8000/pay/card/{req.token}/"
    assert call["metadata"]["oasys_card_request_id"] == str(req.pk)


def test_each_opening_makes_a_fresh_session(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    first = card_request_open(token=req.token, consent=True)
    second = card_request_open(token=req.token, consent=True)
    assert first.id != second.id
    keys = [c["idempotency_key"] for c in _calls(payments, "setup_session_create")]
    assert keys == [idempotency_key("card-session", req.pk, 1),
                    idempotency_key("card-session", req.pk, 2)]


def test_expired_used_and_unknown_links_are_refused(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    CardRequest.objects.filter(pk=req.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(Conflict, match="expired"):
        card_request_open(token=req.token, consent=True)
    req.refresh_from_db()
    assert req.status == CardRequestStatus.EXPIRED

    used = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    session_id = save_card_on_form(payments, account, used)
    card_saved_record(account=account, session_id=session_id, ctx=ctx)
    with pytest.raises(Conflict, match="already been used"):
        card_request_open(token=used.token, consent=True)
    with pytest.raises(NotFound):
        card_request_open(token="no-such-token", consent=True)


# --- recording the saved card ---------------------------------------------------------------


def test_the_saved_card_is_recorded_with_the_consent(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    ClientPaymentProfile.objects.filter(client=cash_client).update(
        autopay_paused_at=timezone.now())
    session_id = save_card_on_form(payments, account, req)
    profile = card_saved_record(account=account, session_id=session_id, ctx=ctx)
    req.refresh_from_db()
    assert (profile.card_brand, profile.card_last4, profile.card_exp_month) == \
        ("visa", "4242", 12)
    assert profile.card_exp_year == timezone.now().year + 3
    assert profile.card_saved_at is not None and profile.autopay_paused_at is None
    assert profile.autopay_consent_at == req.consent_at
    assert profile.autopay_consent_text == req.consent_text
    assert req.status == CardRequestStatus.COMPLETED and req.completed_at is not None
    customer = payments.customers[(account.stripe_account_id, profile.stripe_customer_id)]
    assert customer.default_payment_method == profile.card_payment_method_id


def test_recording_twice_changes_nothing_more(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    session_id = save_card_on_form(payments, account, req)
    first = card_saved_record(account=account, session_id=session_id, ctx=ctx)
    audits = AuditEvent.objects.count()
    for _ in range(3):  # the return page, then the webhook, then a replay
        again = card_saved_record(account=account, session_id=session_id, ctx=ctx)
    assert again.updated_at == first.updated_at
    assert AuditEvent.objects.count() == audits
    assert len(_calls(payments, "customer_default_card_set")) == 1


def test_a_session_not_complete_is_not_recorded(cash_client, account, ctx):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    session = card_request_open(token=req.token, consent=True)
    with pytest.raises(Conflict, match="not been saved yet"):
        card_saved_record(account=account, session_id=session.id, ctx=ctx)


def test_a_session_of_another_practices_account_is_refused(cash_client, other_client, account,
                                                           other_account, ctx, payments):
    theirs = card_request_create(client=other_client, ctx=ctx, send_email=False)
    session_id = save_card_on_form(payments, other_account, theirs)
    with pytest.raises(NotFound):
        card_saved_record(account=account, session_id=session_id, ctx=ctx)
    # And a session of our own account made for another link is refused for this one.
    mine = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    other_link = CardRequest.objects.create(
        practice=cash_client.practice, client=cash_client, token="t" * 43,
        expires_at=timezone.now() + dt.timedelta(days=1))
    session_id = save_card_on_form(payments, account, mine)
    with pytest.raises(NotFound):
        card_saved_record(account=account, session_id=session_id, ctx=ctx,
                          card_request=other_link)
    assert not ClientPaymentProfile.objects.filter(client=other_client).exclude(
        card_payment_method_id="").exists()


def test_an_older_links_late_card_does_not_replace_a_newer_one(cash_client, account, ctx,
                                                               payments):
    old = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    old_session = card_request_open(token=old.token, consent=True)  # a tab left open
    new = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    new_session = save_card_on_form(payments, account, new, card="mastercard")
    card_saved_record(account=account, session_id=new_session, ctx=ctx)
    payments.setup_session_complete(account.stripe_account_id, old_session.id, card="visa")
    profile = card_saved_record(account=account, session_id=old_session.id, ctx=ctx)
    assert (profile.card_brand, profile.card_last4) == ("mastercard", "4444")


# --- removing -----------------------------------------------------------------------------------


def test_remove_detaches_on_stripe_and_forgets_card_and_consent(cash_client, account, ctx,
                                                               payments, owner):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    profile = card_saved_record(account=account,
                                session_id=save_card_on_form(payments, account, req), ctx=ctx)
    pm = profile.card_payment_method_id
    card_remove(client=cash_client, ctx=ctx, user=owner)
    profile.refresh_from_db()
    assert not profile.has_card and profile.card_last4 == ""
    assert profile.autopay_consent_at is None and profile.autopay_consent_text == ""
    assert payments.cards[(account.stripe_account_id, pm)].customer_id == ""
    row = AuditEvent.objects.filter(category="payment_method", action="delete").get()
    assert row.client_id_ref == cash_client.pk
    with pytest.raises(NotFound, match="no card on file"):
        card_remove(client=cash_client, ctx=ctx)


def test_remove_when_stripe_already_detached_it(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    profile = card_saved_record(account=account,
                                session_id=save_card_on_form(payments, account, req), ctx=ctx)
    key = (account.stripe_account_id, profile.card_payment_method_id)
    payments.cards[key] = replace(payments.cards[key], customer_id="")
    card_remove(client=cash_client, ctx=ctx)
    profile.refresh_from_db()
    assert not profile.has_card


def test_every_change_is_audited_without_phi(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=True)
    card_saved_record(account=account, session_id=save_card_on_form(payments, account, req),
                      ctx=ctx)
    card_remove(client=cash_client, ctx=ctx)
    rows = AuditEvent.objects.filter(category="payment_method")
    kinds = [(r.action, r.object_type) for r in rows.order_by("pk")]
    assert ("create", "ClientPaymentProfile") in kinds
    assert ("create", "CardRequest") in kinds
    assert ("update", "ClientPaymentProfile") in kinds
    assert ("delete", "ClientPaymentProfile") in kinds
    assert all(r.client_id_ref == cash_client.pk for r in rows)
    text = repr([r.detail for r in rows])
    for phi in ("Maria", "Lopez", "maria@example.com", "4242"):
        assert phi not in text
