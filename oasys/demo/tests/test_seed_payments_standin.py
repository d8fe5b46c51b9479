"""The demo's Stripe side seeded on the Stripe stand-in as a real process, through the Stripe
adapter on the official SDK: the cards really are saved on the hosted Checkout page, and
behave as their test numbers promise when charged; seeding twice changes nothing; a wiped
stand-in is seeded again."""

from __future__ import annotations

import pytest
import stripe

from oasys.demo.seed import seed_demo, seed_demo_payments
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.invoices.sending import invoice_deliver
from oasys.payments.idempotency import idempotency_key
from oasys.payments.models import (
    AccountStatus,
    ClientPaymentProfile,
    PaymentAccount,
    StripeRequest,
)

pytestmark = pytest.mark.django_db


def _charge(sdk: stripe.StripeClient, account: str, profile: ClientPaymentProfile):
    return sdk.v1.payment_intents.create(
        params={"amount": 13000, "currency": "usd", "customer": profile.stripe_customer_id,
                "payment_method": profile.card_payment_method_id, "confirm": True,
                "off_session": True},
        options={"stripe_account": account})


def test_seeded_on_the_stand_in_twice_then_after_a_wipe(stripe_standin):
    seed_demo()
    first = seed_demo_payments()
    assert first.warning == ""
    # the invoices went through the stand-in: all seven statuses, the Stripe copies there
    assert set(Invoice.objects.values_list("status", flat=True)) == set(InvoiceStatus.values)
    sdk = stripe_standin.client()
    paid = Invoice.objects.get(status=InvoiceStatus.PAID, payments__method="card")
    remote = sdk.v1.invoices.retrieve(paid.stripe_invoice_id,
                                      options={"stripe_account": paid.stripe_account_id})
    assert remote.status == "paid"
    acct = sdk.v1.accounts.retrieve(first.account_id)
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == \
        (True, True, True)
    row = PaymentAccount.objects.get(practice__slug="serenity")
    assert row.status == AccountStatus.ACTIVE and row.stripe_account_id == acct.id
    assert not PaymentAccount.objects.filter(practice__slug="harbor").exists()
    # (the demo's invoices give other clients a Stripe customer too, without a card)
    works, declines, needs_auth = ClientPaymentProfile.objects.exclude(
        card_payment_method_id="").order_by("client_id")
    for profile, last4 in ((works, "4242"), (declines, "0341"), (needs_auth, "3184")):
        assert profile.card_last4 == last4 and profile.autopay_consent_at is not None
        customer = sdk.v1.customers.retrieve(profile.stripe_customer_id,
                                             options={"stripe_account": acct.id})
        assert customer.invoice_settings.default_payment_method == \
            profile.card_payment_method_id
    assert _charge(sdk, acct.id, works).status == "succeeded"
    with pytest.raises(stripe.CardError) as declined:
        _charge(sdk, acct.id, declines)
    assert declined.value.code == "card_declined"
    with pytest.raises(stripe.CardError) as auth:
        _charge(sdk, acct.id, needs_auth)
    assert auth.value.code == "authentication_required"

    # again: the same account and cards, nothing new on the stand-in
    customers = sdk.v1.customers.list(options={"stripe_account": acct.id}).data
    again = seed_demo_payments()
    assert (again.account_id, again.reseeded, again.warning) == (acct.id, False, "")
    assert len(sdk.v1.accounts.list().data) == 1
    # one customer per profile: the three card holders and the clients invoiced
    assert len(sdk.v1.customers.list(options={"stripe_account": acct.id}).data) == \
        len(customers) == ClientPaymentProfile.objects.count() >= 3

    # the stand-in's database wiped: the Stripe side is made again and our rows follow it
    stripe_standin.reset()
    third = seed_demo_payments()
    assert third.reseeded and third.warning == ""
    assert sdk.v1.accounts.retrieve(third.account_id).charges_enabled
    assert PaymentAccount.objects.get().stripe_account_id == third.account_id
    assert sorted(p.card_last4 for p in ClientPaymentProfile.objects.exclude(
        card_payment_method_id="")) == \
        ["0341", "3184", "4242"]
    assert set(Invoice.objects.values_list("status", flat=True)) == set(InvoiceStatus.values)


def test_the_sending_invoice_waits_for_stripe_until_the_fault_is_lifted(stripe_standin):
    seed_demo()
    assert seed_demo_payments().warning == ""
    # Sending for good: the stand-in fails finalizing that one invoice, and only it
    sending = Invoice.objects.get(status=InvoiceStatus.SENDING)
    assert "could not be reached" in sending.delivery_error
    held = [f["path"] for f in stripe_standin.control("faults", method="GET")["data"]]
    made = StripeRequest.objects.get(key=idempotency_key("invoice", sending.pk, "create"))
    assert made.object_id.startswith("in_")
    assert held == [f"/v1/invoices/{made.object_id}/finalize"]
    assert invoice_deliver(invoice_id=sending.pk).status == InvoiceStatus.SENDING
    assert seed_demo_payments().invoices[InvoiceStatus.SENDING] == 1  # seeding again: kept
    # lifted, as the README says: the next delivery opens and emails it
    stripe_standin.control("faults", method="DELETE")
    assert invoice_deliver(invoice_id=sending.pk).status == InvoiceStatus.OPEN
