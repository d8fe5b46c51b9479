"""One set of cases, two ports: the in-memory FakePayments, and StripePayments (the official
SDK) against the Stripe stand-in as a real process. The Stripe side (the owner finishing
onboarding, the client typing a card on the hosted page, time passing until a payout) is
played by a small driver per port: the fake's test controls, or the stand-in's hosted-page
forms and `/_stripe` controls. When the fake and the stand-in disagree, the fake is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from oasys.payments.connection import payments_port
from oasys.payments.declines import decline_words
from oasys.payments.fake import FakePayments
from oasys.payments.port import (
    CardError,
    ConfigurationError,
    FinalError,
    IdempotencyConflict,
    InvoiceLine,
    NotFoundError,
    PaymentsPort,
    Requirement,
    SetupSession,
    SignatureInvalid,
)
from oasys.payments.stripe_adapter import StripePayments

RETURN = "http://127.0.0.1:9/billing/setup/payments/return"
REFRESH = "http://127.0.0.1:9/billing/setup/payments/refresh"
SUCCESS = "http://127.0.0.1:9/cards/saved?session={CHECKOUT_SESSION_ID}"
CANCEL = "http://127.0.0.1:9/cards/cancel"
ONBOARDING_DUE = ("business_profile.name", "company.tax_id", "external_account",
                  "tos_acceptance.date", "tos_acceptance.ip")
TAX_ID_REASON = "The tax ID (EIN) could not be verified with the IRS."
EXP_YEAR = dt.datetime.now(dt.UTC).year + 3

# The hosted pages' test card numbers for the fake's card names.
NUMBERS = {
    "visa": "4242424242424242",
    "mastercard": "5555555555554444",
    "chargeCustomerFail": "4000000000000341",
    "authenticationRequired": "4000002760003184",
    "chargeDeclined": "4000000000000002",
    "insufficientFunds": "4000000000009995",
    "chargeDeclinedExpiredCard": "4000000000000069",
}
# The onboarding form's tax IDs that end in each state (sandbox/stripe/README.md).
TAX_IDS = {"active": "12-3456789", "restricted": "000000000", "pending": "111111111"}


class FakeDriver:
    """Plays Stripe's side through the fake's test controls."""

    name = "fake"

    def __init__(self, fake: FakePayments) -> None:
        self.fake = fake
        self.port: PaymentsPort = fake

    def finish_onboarding(self, account_id: str, state: str) -> None:
        self.fake.account_state_set(account_id, state)

    def save_card(self, account_id: str, session: SetupSession, card: str) -> bool:
        try:
            self.fake.setup_session_complete(account_id, session.id, card)
        except CardError:
            return False
        return True

    def time_passes_until_payout(self, account_id: str, charges: list) -> None:
        self.fake.payout_add(account_id, charges)

    def last_event_id(self, account_id: str, type_: str) -> str:
        return [e.id for e in self.fake.events
                if e.account_id == account_id and e.type == type_][-1]


class StandinDriver:
    """Plays Stripe's side as a person would: the hosted onboarding and card forms, and the
    stand-in's clock."""

    name = "stripe"

    def __init__(self, standin: Any) -> None:
        self.standin = standin
        self.port: PaymentsPort = payments_port()
        assert isinstance(self.port, StripePayments)

    def finish_onboarding(self, account_id: str, state: str) -> None:
        link = self.port.account_link_create(account_id=account_id, kind="onboarding",
                                             return_url=RETURN, refresh_url=REFRESH,
                                             idempotency_key=f"test-link-{account_id}-{state}")
        resp = httpx.post(link.url, data={"business_name": "Serenity Counseling LLC",
                                          "routing_number": "110000000",
                                          "account_number": "000123456789",
                                          "tax_id": TAX_IDS[state]})
        assert resp.status_code == 303 and resp.headers["Location"] == RETURN

    def save_card(self, account_id: str, session: SetupSession, card: str) -> bool:
        resp = httpx.post(session.url, data={"cardnumber": NUMBERS[card],
                                             "expiry": f"12 / {EXP_YEAR % 100:02d}",
                                             "cvc": "123", "name": "Pat Doe",
                                             "postal": "94110"})
        if resp.status_code == 303:
            return True
        assert resp.status_code == 200 and re.search(r"role=alert", resp.text)
        return False

    def time_passes_until_payout(self, account_id: str, charges: list) -> None:
        self.standin.advance(days=3)  # available after 2 days, then paid out

    def last_event_id(self, account_id: str, type_: str) -> str:
        events = self.standin.client().v1.events.list({"type": type_},
                                                      {"stripe_account": account_id})
        return events.data[0].id


@pytest.fixture(params=["fake", "stripe"])
def world(request, payments):
    if request.param == "fake":
        return FakeDriver(payments)
    return StandinDriver(request.getfixturevalue("stripe_standin"))


# --- helpers -------------------------------------------------------------------------------
_n = iter(range(10**9))


def key(label: str) -> str:
    return f"test-{label}-{time.time_ns()}-{next(_n)}"


def new_account(world, state: str | None = "active", practice: str = "1") -> str:
    acct = world.port.account_create(email="owner@practice.example",
                                     business_name="Serenity Counseling",
                                     metadata={"oasys_practice": practice},
                                     idempotency_key=key("acct"))
    if state:
        world.finish_onboarding(acct.id, state)
    return acct.id


def new_customer(world, acct: str, email: str = "client@example.com", client: str = "7"):
    return world.port.customer_create(account_id=acct, email=email, name="Pat Doe",
                                      metadata={"oasys_client": client},
                                      idempotency_key=key("cus"))


def new_session(world, acct: str, customer_id: str) -> SetupSession:
    return world.port.setup_session_create(account_id=acct, customer_id=customer_id,
                                           success_url=SUCCESS, cancel_url=CANCEL,
                                           metadata={"oasys_card_request": "3"},
                                           idempotency_key=key("cs"))


def card_on_file(world, acct: str, card: str = "visa") -> tuple[str, str]:
    """(customer id, payment method id) of a client who saved `card` on the hosted page."""
    cus = new_customer(world, acct)
    session = new_session(world, acct, cus.id)
    assert world.save_card(acct, session, card)
    pm = world.port.setup_session_get(account_id=acct, session_id=session.id)
    return cus.id, pm.payment_method_id


def open_invoice(world, acct: str, cus_id: str, *amounts: str):
    inv = world.port.invoice_create(
        account_id=acct, customer_id=cus_id, currency="usd", days_until_due=30,
        lines=[InvoiceLine(f"Session {i + 1}", Decimal(a)) for i, a in enumerate(amounts)],
        metadata={"oasys_invoice": "42"}, idempotency_key=key("inv"))
    return world.port.invoice_finalize(account_id=acct, invoice_id=inv.id,
                                       idempotency_key=key("fin"))


def paid_invoice(world, acct: str, amount: str = "158.00"):
    cus, pm = card_on_file(world, acct)
    inv = open_invoice(world, acct, cus, amount)
    return world.port.invoice_pay(account_id=acct, invoice_id=inv.id, payment_method_id=pm,
                                  idempotency_key=key("pay"))


def signed(payload: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    t = int(time.time()) if timestamp is None else timestamp
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={t},v1={sig}"


# --- connected accounts --------------------------------------------------------------------
def test_a_new_account_is_not_enabled_and_lists_what_onboarding_needs(world):
    acct = world.port.account_create(email="owner@practice.example",
                                     business_name="Serenity Counseling",
                                     metadata={"oasys_practice": "1"},
                                     idempotency_key=key("acct"))
    assert acct.id.startswith("acct_")
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == \
        (False, False, False)
    assert [r.field for r in acct.currently_due] == list(ONBOARDING_DUE)
    assert acct.disabled_reason == "requirements.past_due"
    assert (acct.email, acct.business_name) == ("owner@practice.example",
                                                "Serenity Counseling")
    assert world.port.account_get(account_id=acct.id) == acct
    assert world.port.account_find(metadata_key="oasys_practice",
                                   metadata_value="1").id == acct.id
    assert world.port.account_find(metadata_key="oasys_practice", metadata_value="2") is None


def test_account_links_for_onboarding_and_update(world):
    acct = new_account(world, state=None)
    before = dt.datetime.now(dt.UTC)
    for kind in ("onboarding", "update"):
        link = world.port.account_link_create(account_id=acct, kind=kind, return_url=RETURN,
                                              refresh_url=REFRESH, idempotency_key=key("l"))
        assert link.url.startswith(("http://", "https://"))
        assert before < link.expires_at <= before + dt.timedelta(minutes=6)
    with pytest.raises(FinalError) as exc:
        world.port.account_link_create(account_id=acct, kind="bogus", return_url=RETURN,
                                       refresh_url=REFRESH, idempotency_key=key("l"))
    assert exc.value.param == "type"
    with pytest.raises(NotFoundError):
        world.port.account_link_create(account_id="acct_1NoSuchAccount00", kind="onboarding",
                                       return_url=RETURN, refresh_url=REFRESH,
                                       idempotency_key=key("l"))
    with pytest.raises(NotFoundError):
        world.port.account_get(account_id="acct_1NoSuchAccount00")


def test_onboarding_ends_active_restricted_or_pending(world):
    active = world.port.account_get(account_id=new_account(world, "active"))
    assert (active.charges_enabled, active.payouts_enabled, active.details_submitted) == \
        (True, True, True)
    assert (active.currently_due, active.past_due, active.disabled_reason) == ((), (), "")

    restricted = world.port.account_get(account_id=new_account(world, "restricted"))
    assert (restricted.charges_enabled, restricted.payouts_enabled,
            restricted.details_submitted) == (False, False, True)
    assert restricted.currently_due == (Requirement("company.tax_id", TAX_ID_REASON),)
    assert restricted.past_due == restricted.currently_due
    assert restricted.disabled_reason == "requirements.past_due"

    pending = world.port.account_get(account_id=new_account(world, "pending"))
    assert (pending.charges_enabled, pending.details_submitted) == (False, True)
    assert pending.currently_due == ()
    assert pending.pending_verification == ("company.tax_id",)
    assert pending.disabled_reason == "requirements.pending_verification"


# --- customers and cards -------------------------------------------------------------------
def test_customers_create_get_find(world):
    acct = new_account(world)
    cus = new_customer(world, acct)
    assert cus.id.startswith("cus_")
    assert (cus.email, cus.name, cus.default_payment_method, cus.deleted) == \
        ("client@example.com", "Pat Doe", "", False)
    assert cus.metadata == {"oasys_client": "7"}
    assert world.port.customer_get(account_id=acct, customer_id=cus.id) == cus
    new_customer(world, acct, client="8")  # same email, another client
    found = world.port.customer_find(account_id=acct, email="client@example.com",
                                     metadata_key="oasys_client", metadata_value="7")
    assert found is not None and found.id == cus.id
    assert world.port.customer_find(account_id=acct, email="other@example.com",
                                    metadata_key="oasys_client", metadata_value="7") is None
    with pytest.raises(NotFoundError):
        world.port.customer_get(account_id=acct, customer_id="cus_NoSuchCustomer")


def test_a_card_saved_on_the_hosted_page_is_listed_made_default_and_removed(world):
    acct = new_account(world)
    cus = new_customer(world, acct)
    session = new_session(world, acct, cus.id)
    assert session.id.startswith("cs_") and session.status == "open"
    assert session.url.startswith(("http://", "https://"))
    assert session.customer_id == cus.id and session.payment_method_id == ""
    assert session.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    assert world.save_card(acct, session, "visa")

    done = world.port.setup_session_get(account_id=acct, session_id=session.id)
    assert done.status == "complete" and done.setup_intent_id.startswith("seti_")
    assert done.payment_method_id.startswith("pm_")
    assert done.metadata == {"oasys_card_request": "3"}
    card = world.port.card_get(account_id=acct, payment_method_id=done.payment_method_id)
    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.customer_id) == \
        ("visa", "4242", 12, EXP_YEAR, cus.id)
    assert card.fingerprint
    assert world.port.card_list(account_id=acct, customer_id=cus.id) == [card]

    cus = world.port.customer_default_card_set(account_id=acct, customer_id=cus.id,
                                               payment_method_id=card.id,
                                               idempotency_key=key("default"))
    assert cus.default_payment_method == card.id
    assert world.port.customer_get(account_id=acct,
                                   customer_id=cus.id).default_payment_method == card.id

    world.port.card_detach(account_id=acct, payment_method_id=card.id,
                           idempotency_key=key("detach"))
    assert world.port.card_list(account_id=acct, customer_id=cus.id) == []
    assert world.port.customer_get(account_id=acct,
                                   customer_id=cus.id).default_payment_method == ""
    assert world.port.card_get(account_id=acct, payment_method_id=card.id).customer_id == ""
    with pytest.raises(FinalError):
        world.port.card_detach(account_id=acct, payment_method_id=card.id,
                               idempotency_key=key("detach"))


def test_a_card_of_another_customer_cannot_be_the_default(world):
    acct = new_account(world)
    _, pm = card_on_file(world, acct)
    other = new_customer(world, acct, client="9")
    with pytest.raises(FinalError) as exc:
        world.port.customer_default_card_set(account_id=acct, customer_id=other.id,
                                             payment_method_id=pm,
                                             idempotency_key=key("default"))
    assert exc.value.param == "invoice_settings[default_payment_method]"


@pytest.mark.parametrize("card", ["chargeDeclined", "insufficientFunds",
                                  "chargeDeclinedExpiredCard"])
def test_cards_that_decline_cannot_be_saved(world, card):
    acct = new_account(world)
    cus = new_customer(world, acct)
    session = new_session(world, acct, cus.id)
    assert world.save_card(acct, session, card) is False
    assert world.port.setup_session_get(account_id=acct, session_id=session.id).status == \
        "open"
    assert world.port.card_list(account_id=acct, customer_id=cus.id) == []


# --- invoices, charges, refunds ------------------------------------------------------------
def test_invoice_draft_finalize_pay_and_its_charge(world):
    acct = new_account(world)
    cus, pm = card_on_file(world, acct)
    draft = world.port.invoice_create(
        account_id=acct, customer_id=cus, currency="usd", days_until_due=30,
        lines=[InvoiceLine("Session 1", Decimal("138.00")),
               InvoiceLine("Session 2", Decimal("20.00"))],
        metadata={"oasys_invoice": "42"}, idempotency_key=key("inv"))
    assert draft.id.startswith("in_") and draft.status == "draft"
    assert (draft.total, draft.amount_paid, draft.amount_remaining) == \
        (Decimal("158.00"), Decimal("0.00"), Decimal("158.00"))
    assert draft.currency == "usd" and draft.metadata == {"oasys_invoice": "42"}
    assert draft.due_date == (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date()
    assert (draft.number, draft.hosted_invoice_url, draft.charge_id) == ("", "", "")

    opened = world.port.invoice_finalize(account_id=acct, invoice_id=draft.id,
                                         idempotency_key=key("fin"))
    assert opened.status == "open" and opened.number
    assert opened.hosted_invoice_url and opened.invoice_pdf
    with pytest.raises(FinalError):
        world.port.invoice_finalize(account_id=acct, invoice_id=draft.id,
                                    idempotency_key=key("fin"))

    paid = world.port.invoice_pay(account_id=acct, invoice_id=draft.id, payment_method_id=pm,
                                  idempotency_key=key("pay"))
    assert paid.status == "paid" and paid.paid_at is not None
    assert (paid.total, paid.amount_paid, paid.amount_remaining) == \
        (Decimal("158.00"), Decimal("158.00"), Decimal("0.00"))
    assert paid.payment_intent_id.startswith("pi_") and paid.charge_id.startswith("ch_")
    assert world.port.invoice_get(account_id=acct, invoice_id=draft.id) == paid

    charge = world.port.charge_get(account_id=acct, charge_id=paid.charge_id)
    assert (charge.amount, charge.currency, charge.status, charge.amount_refunded) == \
        (Decimal("158.00"), "usd", "succeeded", Decimal("0.00"))
    assert charge.fee == Decimal("4.88")  # 2.9% + 30¢
    assert charge.payment_intent_id == paid.payment_intent_id
    # It says which invoice it paid, with the invoice's metadata (the payouts page's link).
    assert (charge.invoice_id, charge.metadata) == (draft.id, {"oasys_invoice": "42"})
    assert (charge.payment_method_id, charge.card_brand, charge.card_last4) == \
        (pm, "visa", "4242")
    assert charge.receipt_url
    with pytest.raises(FinalError):
        world.port.invoice_pay(account_id=acct, invoice_id=draft.id, payment_method_id=pm,
                               idempotency_key=key("pay"))


@pytest.mark.parametrize("card,code,decline_code,needs_auth", [
    ("chargeCustomerFail", "card_declined", "generic_decline", False),
    ("authenticationRequired", "authentication_required", "authentication_required", True),
])
def test_a_card_on_file_that_declines_leaves_the_invoice_open(world, card, code,
                                                             decline_code, needs_auth):
    acct = new_account(world)
    cus, pm = card_on_file(world, acct, card)
    inv = open_invoice(world, acct, cus, "90.00")
    pay_key = key("pay")
    with pytest.raises(CardError) as exc:
        world.port.invoice_pay(account_id=acct, invoice_id=inv.id, payment_method_id=pm,
                               idempotency_key=pay_key)
    err = exc.value
    assert (err.code, err.decline_code, err.needs_authentication) == \
        (code, decline_code, needs_auth)
    assert err.words == decline_words(code=code, decline_code=decline_code)
    assert err.payment_intent_id.startswith("pi_") and err.charge_id.startswith("ch_")
    assert err.payment_method_id == pm
    assert world.port.charge_get(account_id=acct, charge_id=err.charge_id).status == "failed"
    still = world.port.invoice_get(account_id=acct, invoice_id=inv.id)
    assert (still.status, still.amount_remaining, still.charge_id) == \
        ("open", Decimal("90.00"), "")
    # Retrying with the same key replays the decline; nothing is charged twice.
    with pytest.raises(CardError) as again:
        world.port.invoice_pay(account_id=acct, invoice_id=inv.id, payment_method_id=pm,
                               idempotency_key=pay_key)
    assert again.value.payment_intent_id == err.payment_intent_id


def test_paid_out_of_band_void_and_uncollectible(world):
    acct = new_account(world)
    cus, _ = card_on_file(world, acct)
    cash = open_invoice(world, acct, cus, "75.00")
    cash = world.port.invoice_pay_out_of_band(account_id=acct, invoice_id=cash.id,
                                              idempotency_key=key("oob"))
    assert (cash.status, cash.amount_paid, cash.amount_remaining, cash.charge_id) == \
        ("paid", Decimal("75.00"), Decimal("0.00"), "")

    voided = open_invoice(world, acct, cus, "75.00")
    voided = world.port.invoice_void(account_id=acct, invoice_id=voided.id,
                                     idempotency_key=key("void"))
    assert voided.status == "void"
    with pytest.raises(FinalError):
        world.port.invoice_void(account_id=acct, invoice_id=voided.id,
                                idempotency_key=key("void"))

    bad = open_invoice(world, acct, cus, "75.00")
    bad = world.port.invoice_mark_uncollectible(account_id=acct, invoice_id=bad.id,
                                                idempotency_key=key("unc"))
    assert bad.status == "uncollectible"
    with pytest.raises(FinalError):
        world.port.invoice_mark_uncollectible(account_id=acct, invoice_id=bad.id,
                                              idempotency_key=key("unc"))
    assert world.port.invoice_void(account_id=acct, invoice_id=bad.id,
                                   idempotency_key=key("void")).status == "void"


def test_refunds_partial_then_the_rest_and_never_more(world):
    acct = new_account(world)
    paid = paid_invoice(world, acct, "158.00")
    part = world.port.refund_create(account_id=acct, charge_id=paid.charge_id,
                                    amount=Decimal("50.00"), idempotency_key=key("re"))
    assert part.id.startswith("re_")
    assert (part.amount, part.currency, part.status, part.charge_id) == \
        (Decimal("50.00"), "usd", "succeeded", paid.charge_id)
    assert world.port.charge_get(account_id=acct, charge_id=paid.charge_id
                                 ).amount_refunded == Decimal("50.00")
    with pytest.raises(FinalError) as exc:
        world.port.refund_create(account_id=acct, charge_id=paid.charge_id,
                                 amount=Decimal("108.01"), idempotency_key=key("re"))
    assert exc.value.param == "amount"
    rest = world.port.refund_create(account_id=acct, charge_id=paid.charge_id,
                                    amount=Decimal("108.00"), idempotency_key=key("re"))
    assert rest.amount == Decimal("108.00")
    with pytest.raises(FinalError) as exc:
        world.port.refund_create(account_id=acct, charge_id=paid.charge_id,
                                 amount=Decimal("1.00"), idempotency_key=key("re"))
    assert exc.value.code == "charge_already_refunded"
    # the charge's refunds, newest first (what the refund webhooks converge on)
    listed = world.port.refund_list(account_id=acct, charge_id=paid.charge_id)
    assert [(r.id, r.amount, r.status, r.charge_id) for r in listed] == [
        (rest.id, Decimal("108.00"), "succeeded", paid.charge_id),
        (part.id, Decimal("50.00"), "succeeded", paid.charge_id)]
    other = paid_invoice(world, acct, "20.00")
    assert world.port.refund_list(account_id=acct, charge_id=other.charge_id) == []


def test_amounts_finer_than_a_cent_are_refused_before_anything_is_sent(world):
    acct = new_account(world)
    cus = new_customer(world, acct)
    with pytest.raises(ValueError, match="0.005"):
        world.port.invoice_create(account_id=acct, customer_id=cus.id, currency="usd",
                                  days_until_due=30,
                                  lines=[InvoiceLine("Session", Decimal("10.005"))],
                                  metadata={}, idempotency_key=key("inv"))
    paid = paid_invoice(world, acct, "10.00")
    with pytest.raises(ValueError):
        world.port.refund_create(account_id=acct, charge_id=paid.charge_id,
                                 amount=Decimal("1.001"), idempotency_key=key("re"))


def test_no_charges_on_an_account_that_cannot_take_them(world):
    acct = new_account(world, state="restricted")
    cus, pm = card_on_file(world, acct)
    inv = open_invoice(world, acct, cus, "20.00")
    with pytest.raises(FinalError) as exc:
        world.port.invoice_pay(account_id=acct, invoice_id=inv.id, payment_method_id=pm,
                               idempotency_key=key("pay"))
    assert not isinstance(exc.value, CardError)


# --- payouts -------------------------------------------------------------------------------
def test_a_payout_lists_the_charges_it_contains(world):
    acct = new_account(world)
    paid = paid_invoice(world, acct, "100.00")
    assert world.port.payout_list(account_id=acct).items == []
    charge = world.port.charge_get(account_id=acct, charge_id=paid.charge_id)
    world.time_passes_until_payout(acct, [charge])

    page = world.port.payout_list(account_id=acct)
    assert page.has_more is False
    (payout,) = page.items
    assert payout.id.startswith("po_")
    assert (payout.amount, payout.currency, payout.status, payout.bank_last4) == \
        (Decimal("96.80"), "usd", "in_transit", "6789")
    assert payout.arrival_date == payout.created.date() + dt.timedelta(days=2)

    txns = world.port.payout_transactions(account_id=acct, payout_id=payout.id)
    assert sorted(t.type for t in txns) == ["charge", "payout"]
    (line,) = [t for t in txns if t.type == "charge"]
    assert line.id.startswith("txn_")
    assert (line.amount, line.fee, line.net, line.currency) == \
        (Decimal("100.00"), Decimal("3.20"), Decimal("96.80"), "usd")
    assert (line.source_id, line.payment_intent_id) == (charge.id, paid.payment_intent_id)
    assert (line.invoice_id, line.metadata) == (paid.id, {"oasys_invoice": "42"})
    (own,) = [t for t in txns if t.type == "payout"]
    assert (own.amount, own.source_id) == (Decimal("-96.80"), payout.id)
    assert world.port.payout_get(account_id=acct, payout_id=payout.id) == payout
    with pytest.raises(NotFoundError):
        world.port.payout_transactions(account_id=acct, payout_id="po_NoSuchPayout")
    with pytest.raises(NotFoundError):
        world.port.payout_get(account_id=acct, payout_id="po_NoSuchPayout")


# --- accounts are walls, keys are promises -------------------------------------------------
def test_objects_of_one_account_are_not_found_from_another(world):
    a = new_account(world, practice="1")
    b = new_account(world, practice="2")
    paid = paid_invoice(world, a)
    cus_a = new_customer(world, a)
    cus, pm = card_on_file(world, a)
    with pytest.raises(NotFoundError):
        world.port.customer_get(account_id=b, customer_id=cus_a.id)
    with pytest.raises(NotFoundError):
        world.port.card_get(account_id=b, payment_method_id=pm)
    with pytest.raises(NotFoundError):
        world.port.invoice_get(account_id=b, invoice_id=paid.id)
    with pytest.raises(NotFoundError):
        world.port.charge_get(account_id=b, charge_id=paid.charge_id)
    world.time_passes_until_payout(a, [world.port.charge_get(account_id=a,
                                                             charge_id=paid.charge_id)])
    (payout,) = world.port.payout_list(account_id=a).items
    assert world.port.payout_list(account_id=b).items == []
    with pytest.raises(NotFoundError):
        world.port.payout_transactions(account_id=b, payout_id=payout.id)
    with pytest.raises(NotFoundError):
        world.port.refund_create(account_id=b, charge_id=paid.charge_id,
                                 amount=Decimal("1.00"), idempotency_key=key("re"))
    assert world.port.customer_find(account_id=b, email="client@example.com",
                                    metadata_key="oasys_client", metadata_value="7") is None
    with pytest.raises(ConfigurationError):
        world.port.customer_create(account_id="acct_1NoSuchAccount00", email="x@example.com",
                                   name="X", metadata={}, idempotency_key=key("cus"))


def test_the_same_key_replays_and_other_arguments_conflict(world):
    acct = new_account(world)
    k = key("cus")
    first = world.port.customer_create(account_id=acct, email="pat@example.com",
                                       name="Pat Doe", metadata={"oasys_client": "7"},
                                       idempotency_key=k)
    again = world.port.customer_create(account_id=acct, email="pat@example.com",
                                       name="Pat Doe", metadata={"oasys_client": "7"},
                                       idempotency_key=k)
    assert again.id == first.id
    with pytest.raises(IdempotencyConflict):
        world.port.customer_create(account_id=acct, email="pat@example.com", name="Pat Roe",
                                   metadata={"oasys_client": "7"}, idempotency_key=k)
    cus, pm = card_on_file(world, acct)
    inv = open_invoice(world, acct, cus, "40.00")
    pay_key = key("pay")
    paid = world.port.invoice_pay(account_id=acct, invoice_id=inv.id, payment_method_id=pm,
                                  idempotency_key=pay_key)
    replayed = world.port.invoice_pay(account_id=acct, invoice_id=inv.id,
                                      payment_method_id=pm, idempotency_key=pay_key)
    assert (replayed.status, replayed.charge_id) == ("paid", paid.charge_id)


# --- webhooks ------------------------------------------------------------------------------
def event_payload(acct: str) -> dict:
    return {"id": "evt_1TestEventContract", "object": "event", "type": "account.updated",
            "account": acct, "api_version": "2026-10-28.endive", "created": int(time.time()),
            "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": {"id": acct, "object": "account", "charges_enabled": True},
                     "previous_attributes": {"charges_enabled": False}}}


def test_event_parse_verifies_the_signature(world):
    secret = world.port.webhook_secret
    payload = event_payload("acct_1TestAccount000")
    body, header = signed(payload, secret)
    event = world.port.event_parse(payload=body, signature=header)
    assert (event.id, event.type, event.account_id) == \
        ("evt_1TestEventContract", "account.updated", "acct_1TestAccount000")
    assert event.object["id"] == "acct_1TestAccount000"
    assert event.previous_attributes == {"charges_enabled": False}
    assert abs((event.created - dt.datetime.now(dt.UTC)).total_seconds()) < 60

    _, other = signed(payload, "whsec_someone_else")
    stale_body, stale = signed(payload, secret, timestamp=int(time.time()) - 301)
    for bad_body, bad_header in ((body, other), (stale_body, stale), (body, ""),
                                 (body + b" ", header), (body, "t=abc,v1=def")):
        with pytest.raises(SignatureInvalid):
            world.port.event_parse(payload=bad_body, signature=bad_header)
    garbage, garbage_header = signed({"not": "an event"}, secret)
    with pytest.raises(SignatureInvalid):
        world.port.event_parse(payload=garbage, signature=garbage_header)


def test_event_get_fetches_an_event_of_the_account(world):
    acct = new_account(world, state=None)
    other = new_account(world, state=None, practice="2")
    world.finish_onboarding(acct, "active")
    event_id = world.last_event_id(acct, "account.updated")
    event = world.port.event_get(account_id=acct, event_id=event_id)
    assert (event.id, event.type, event.account_id) == (event_id, "account.updated", acct)
    assert event.object["id"] == acct
    with pytest.raises(NotFoundError):
        world.port.event_get(account_id=other, event_id=event_id)
    with pytest.raises(NotFoundError):
        world.port.event_get(account_id=acct, event_id="evt_NoSuchEvent")
