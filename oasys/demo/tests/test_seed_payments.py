"""The Stripe side of the demo on the in-memory fake: Serenity active with three cards on file
(works, declines, needs authentication) and autopay consent, Harbor not connected; running it
again keeps everything; a Stripe side that forgot everything is made again; without a
stand-in it changes nothing and says why."""

from __future__ import annotations

import socket

import pytest
from django.core.management import call_command

from oasys.core.models import Practice
from oasys.demo.seed import SeedRefused, seed_demo, seed_demo_payments
from oasys.payments.connection import payments_fake_install
from oasys.payments.models import (
    AccountStatus,
    ClientPaymentProfile,
    PaymentAccount,
    PaymentAccountEvent,
)
from oasys.payments.port import RetryableError

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_cards():
    """The clients with a card on file (the demo's invoices give other clients a Stripe
    customer, and so a profile, without one)."""
    return ClientPaymentProfile.objects.exclude(card_payment_method_id="")


def _creations(fake) -> list[str]:
    return [name for name, _ in fake.calls if name.endswith("_create")]


def test_serenity_active_with_three_cards_and_harbor_not_connected(payments):
    seed_demo()
    result = seed_demo_payments()
    assert result.warning == "" and not result.reseeded
    account = PaymentAccount.objects.get(practice__slug="serenity")
    assert account.status == AccountStatus.ACTIVE
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == \
        (True, True, True)
    assert payments.account_get(account_id=account.stripe_account_id).charges_enabled
    assert PaymentAccountEvent.objects.filter(account=account, to_status="active").count() == 1
    assert not PaymentAccount.objects.filter(practice__slug="harbor").exists()
    profiles = list(_with_cards().filter(practice__slug="serenity")
                    .order_by("client_id"))
    assert [p.card_last4 for p in profiles] == ["4242", "0341", "3184"]
    for profile in profiles:
        assert profile.client.billing_type == "self_pay" and profile.client.email
        assert profile.autopay_consent_at is not None and profile.autopay_consent_text
        customer = payments.customer_get(account_id=account.stripe_account_id,
                                         customer_id=profile.stripe_customer_id)
        assert customer.default_payment_method == profile.card_payment_method_id
    assert [c[2] for c in result.cards] == ["4242", "0341", "3184"]


def test_running_it_again_keeps_everything_and_creates_nothing(payments):
    seed_demo()
    first = seed_demo_payments()
    before = list(ClientPaymentProfile.objects.values_list("pk", "stripe_customer_id",
                                                           "card_payment_method_id"))
    made = len(_creations(payments))
    again = seed_demo_payments()
    assert again.account_id == first.account_id and not again.reseeded
    assert list(ClientPaymentProfile.objects.values_list(
        "pk", "stripe_customer_id", "card_payment_method_id")) == before
    assert len(_creations(payments)) == made  # nothing new on the Stripe side
    assert PaymentAccount.objects.count() == 1


def test_a_wiped_stripe_side_is_seeded_again(payments):
    seed_demo()
    seed_demo_payments()
    old_profiles = set(ClientPaymentProfile.objects.values_list("pk", flat=True))
    fresh = payments_fake_install()  # the stand-in's database deleted
    again = seed_demo_payments()
    assert again.reseeded
    assert not old_profiles & set(ClientPaymentProfile.objects.values_list("pk", flat=True))
    assert fresh.account_get(account_id=again.account_id).charges_enabled
    assert PaymentAccount.objects.get().stripe_account_id == again.account_id
    assert _with_cards().count() == 3
    for profile in _with_cards():
        fresh.customer_get(account_id=again.account_id, customer_id=profile.stripe_customer_id)


def test_a_disconnected_account_is_left_to_the_user(payments):
    seed_demo()
    seed_demo_payments()
    account = PaymentAccount.objects.get()
    PaymentAccount.objects.filter(pk=account.pk).update(status=AccountStatus.DISCONNECTED)
    result = seed_demo_payments()
    assert result.status == AccountStatus.DISCONNECTED and "disconnected" in result.warning
    assert PaymentAccount.objects.get().status == AccountStatus.DISCONNECTED


def test_without_a_stand_in_nothing_is_seeded_and_it_says_why(settings, capsys):
    settings.PAYMENTS_ADAPTER = "stripe"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{_free_port()}"
    seed_demo()
    result = seed_demo_payments()
    assert "not answering" in result.warning and "not seeded" in result.warning
    assert not PaymentAccount.objects.exists() and not ClientPaymentProfile.objects.exists()
    call_command("seed_demo", "--payments")
    assert "Warning:" in capsys.readouterr().err
    assert Practice.objects.filter(slug="serenity").exists()


@pytest.mark.parametrize("base", ["", "https://api.stripe.com", "http://10.0.0.5:12111"])
def test_never_seeds_anything_but_a_loopback_stand_in(settings, base):
    settings.PAYMENTS_ADAPTER = "stripe"
    settings.STRIPE_API_BASE = base
    seed_demo()
    result = seed_demo_payments()
    assert "only against the local Stripe stand-in" in result.warning
    assert not PaymentAccount.objects.exists()


def test_refuses_production_settings(settings):
    seed_demo()
    settings.PRODUCTION = True
    with pytest.raises(SeedRefused):
        seed_demo_payments()


def test_a_stripe_failure_midway_warns_and_a_rerun_finishes(payments, capsys):
    payments.fail_next("customer_create", RetryableError("stand-in answered 500"))
    call_command("seed_demo", "--payments")
    err = capsys.readouterr().err
    assert "Warning: seeding the Stripe side stopped (stand-in answered 500)" in err
    assert Practice.objects.filter(slug="serenity").exists()
    assert PaymentAccount.objects.get().status == AccountStatus.ACTIVE
    assert not ClientPaymentProfile.objects.exists()
    call_command("seed_demo", "--payments")
    assert "Warning" not in capsys.readouterr().err
    assert _with_cards().count() == 3
    assert PaymentAccount.objects.count() == 1
