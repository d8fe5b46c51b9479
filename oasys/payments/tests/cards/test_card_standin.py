"""Cards against the Stripe stand-in as a real process, through the real adapter (the official
SDK): the customer on the practice's connected account, the hosted card form filled as a
client would, the card recorded, a card that declines on saving, and removal."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from oasys.clients.models import Client
from oasys.payments.cards import (
    card_remove,
    card_request_create,
    card_request_open,
    card_saved_record,
    client_payment_profile_ensure,
)
from oasys.payments.connection import payments_port
from oasys.payments.models import AccountStatus, CardRequestStatus, PaymentAccount

pytestmark = pytest.mark.django_db

EXP_YEAR = dt.datetime.now(dt.UTC).year + 3


def standin_account(practice, standin) -> PaymentAccount:
    """A connected account made through the adapter and made active by the stand-in's
    control (as if the owner had finished onboarding)."""
    acct = payments_port().account_create(
        email=f"owner@{practice.slug}.example", business_name=practice.name,
        metadata={"oasys_practice_id": str(practice.pk)},
        idempotency_key=f"test-account-{practice.pk}")
    standin.control(f"accounts/{acct.id}", {"state": "active"})
    return PaymentAccount.objects.create(
        practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
        charges_enabled=True, payouts_enabled=True, details_submitted=True)


def fill_card_form(url: str, number: str) -> httpx.Response:
    return httpx.post(url, data={"cardnumber": number, "expiry": f"12 / {EXP_YEAR % 100:02d}",
                                 "cvc": "123", "name": "Maria", "postal": "60614"})


@pytest.fixture
def world(stripe_standin, practice, settings):
    settings.OASYS_BASE_URL = "http://127.0.0.1:9"  # nothing listens: redirects not followed
    account = standin_account(practice, stripe_standin)
    client = Client.objects.create(practice=practice, first_name="Maria", last_name="Lopez",
                                   email="maria@example.com", billing_type="cash")
    return stripe_standin, account, client


def test_a_card_saved_on_the_hosted_form_is_recorded_and_removed(world, ctx):
    standin, account, client = world
    profile = client_payment_profile_ensure(client=client, ctx=ctx)
    sdk = standin.client()
    on_account = {"stripe_account": account.stripe_account_id}
    customer = sdk.v1.customers.retrieve(profile.stripe_customer_id, options=on_account)
    assert (customer.name, customer.email) == ("Maria Lopez", "maria@example.com")
    assert customer.metadata.to_dict() == {"oasys_client_id": str(client.pk),
                                       "oasys_practice_id": str(client.practice_id)}

    req = card_request_create(client=client, ctx=ctx, send_email=False)
    session = card_request_open(token=req.token, consent=True)
    resp = fill_card_form(session.url, "4242 4242 4242 4242")
    assert resp.status_code == 303
    back = urlsplit(resp.headers["Location"])
    assert back.path == f"/pay/card/{req.token}/done/"
    [session_id] = parse_qs(back.query)["session_id"]
    assert session_id == session.id

    saved = card_saved_record(account=account, session_id=session_id, ctx=ctx)
    again = card_saved_record(account=account, session_id=session_id, ctx=ctx)
    assert (saved.card_brand, saved.card_last4, saved.card_exp_month, saved.card_exp_year) \
        == ("visa", "4242", 12, EXP_YEAR)
    assert again.updated_at == saved.updated_at
    req.refresh_from_db()
    assert req.status == CardRequestStatus.COMPLETED
    customer = sdk.v1.customers.retrieve(profile.stripe_customer_id, options=on_account)
    assert customer.invoice_settings.default_payment_method == saved.card_payment_method_id

    card_remove(client=client, ctx=ctx)
    pm = sdk.v1.payment_methods.retrieve(saved.card_payment_method_id, options=on_account)
    assert pm.customer is None


def test_a_card_declined_on_saving_saves_nothing(world, ctx):
    _, account, client = world
    req = card_request_create(client=client, ctx=ctx, send_email=False)
    session = card_request_open(token=req.token, consent=True)
    resp = fill_card_form(session.url, "4000 0000 0000 0002")
    assert resp.status_code == 200 and "role=alert" in resp.text
    with pytest.raises(Exception, match="not been saved yet"):
        card_saved_record(account=account, session_id=session.id, ctx=ctx)
    # The card that saves but declines later (the seeded "declines" client) is kept.
    session = card_request_open(token=req.token, consent=True)
    assert fill_card_form(session.url, "4000 0000 0000 0341").status_code == 303
    profile = card_saved_record(account=account, session_id=session.id, ctx=ctx)
    assert profile.card_last4 == "0341"


def test_another_accounts_session_is_invisible(world, ctx, other_practice):
    standin, account, client = world
    other = standin_account(other_practice, standin)
    req = card_request_create(client=client, ctx=ctx, send_email=False)
    session = card_request_open(token=req.token, consent=True)
    assert fill_card_form(session.url, "4242424242424242").status_code == 303
    with pytest.raises(Exception, match="No such card form"):
        card_saved_record(account=other, session_id=session.id, ctx=ctx)
