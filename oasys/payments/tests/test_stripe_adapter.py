"""The Stripe adapter's own rules: cents exist only here and round-trip exactly; the SDK's
errors become the port's in one place; faults of the stand-in (500, a slow answer, a dropped
connection) are retried by the SDK with the same idempotency key, and what is left is a
RetryableError; the client is pinned to one API version and pointed where settings say."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests
import stripe
from hypothesis import given
from hypothesis import strategies as st

from oasys.payments.connection import payments_port
from oasys.payments.declines import DEFAULT, WORDS, decline_words
from oasys.payments.port import (
    CardError,
    ConfigurationError,
    FinalError,
    IdempotencyConflict,
    InvoiceLine,
    NotFoundError,
    RetryableError,
)
from oasys.payments.stripe_adapter import (
    API_VERSION,
    StripePayments,
    _errors,
    from_cents,
    to_cents,
)

# --- cents ---------------------------------------------------------------------------------
amounts = st.decimals(min_value=Decimal("-1000000.00"), max_value=Decimal("1000000.00"),
                      places=2, allow_nan=False, allow_infinity=False)


@given(amounts)
def test_dollars_to_cents_and_back_is_the_identity(amount):
    cents = to_cents(amount)
    assert isinstance(cents, int)
    assert from_cents(cents) == amount
    assert Decimal(cents) == amount * 100


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_cents_to_dollars_and_back_is_the_identity(cents):
    dollars = from_cents(cents)
    assert dollars.as_tuple().exponent == -2
    assert to_cents(dollars) == cents


@given(st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3,
                   allow_nan=False, allow_infinity=False)
       .filter(lambda d: d != d.quantize(Decimal("0.01"))))
def test_more_than_two_decimals_is_refused_never_rounded(amount):
    with pytest.raises(ValueError, match="more than two decimal places"):
        to_cents(amount)


def test_floats_and_non_numbers_are_refused():
    with pytest.raises(TypeError):
        to_cents(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_cents(Decimal("NaN"))
    assert to_cents(Decimal("12.5")) == 1250 and to_cents(Decimal("7")) == 700
    assert from_cents(None) == Decimal("0.00")


# --- error mapping, once ---------------------------------------------------------------------
def raised(exc: Exception):
    with pytest.raises(Exception) as info, _errors():
        raise exc
    return info.value


def test_card_errors_carry_words_and_the_objects_of_the_attempt():
    body = {"error": {"type": "card_error", "code": "card_declined",
                      "decline_code": "insufficient_funds", "message": "Your card has "
                      "insufficient funds.", "charge": "ch_1", "payment_intent": {
                          "id": "pi_1", "object": "payment_intent"},
                      "payment_method": {"id": "pm_1", "object": "payment_method"}}}
    err = raised(stripe.CardError("Your card has insufficient funds.", None, "card_declined",
                                  http_status=402, json_body=body))
    assert isinstance(err, CardError)
    assert (err.code, err.decline_code, err.status) == ("card_declined",
                                                        "insufficient_funds", 402)
    assert err.words == WORDS["insufficient_funds"]
    assert (err.payment_intent_id, err.charge_id, err.payment_method_id) == \
        ("pi_1", "ch_1", "pm_1")
    assert not err.needs_authentication


def test_an_invoice_needing_the_cardholder_is_a_card_error_needing_authentication():
    body = {"error": {"type": "card_error", "code": "invoice_payment_intent_requires_action",
                      "payment_intent": {"id": "pi_2"}}}
    err = raised(stripe.CardError("needs action", None,
                                  "invoice_payment_intent_requires_action", http_status=402,
                                  json_body=body))
    assert isinstance(err, CardError) and err.needs_authentication
    assert err.payment_intent_id == "pi_2" and err.words == WORDS["authentication_required"]


@pytest.mark.parametrize("exc,cls", [
    (stripe.APIConnectionError("connection reset"), RetryableError),
    (stripe.APIError("boom", http_status=500), RetryableError),
    (stripe.RateLimitError("slow down", http_status=429), RetryableError),
    (stripe.InvalidRequestError("lock", None, "lock_timeout", http_status=409),
     RetryableError),
    (stripe.InvalidRequestError("No such customer: 'cus_x'", "id", "resource_missing",
                                http_status=404), NotFoundError),
    (stripe.IdempotencyError("Keys for idempotent requests…", http_status=400),
     IdempotencyConflict),
    (stripe.AuthenticationError("Invalid API Key", http_status=401), ConfigurationError),
    (stripe.PermissionError("no access to account", http_status=403), ConfigurationError),
    (stripe.InvalidRequestError("Invalid integer", "amount", "parameter_invalid_integer",
                                http_status=400), FinalError),
])
def test_sdk_errors_map_to_the_ports(exc, cls):
    err = raised(exc)
    assert type(err) is cls
    assert err.message and err.status == exc.http_status


def test_other_4xx_keep_code_param_status_and_message():
    err = raised(stripe.InvalidRequestError("Refund amount ($2.00) is greater than the "
                                            "charge", "amount", "amount_too_large",
                                            http_status=400))
    assert type(err) is FinalError
    assert (err.code, err.param, err.status) == ("amount_too_large", "amount", 400)
    assert "greater than" in err.message


def test_decline_words_prefer_the_decline_code_and_fall_back_to_a_general_decline():
    assert decline_words(code="card_declined", decline_code="do_not_honor") == \
        WORDS["do_not_honor"]
    assert decline_words(code="expired_card") == WORDS["expired_card"]
    assert decline_words(code="card_declined", decline_code="something_new") == DEFAULT
    assert decline_words() == DEFAULT
    for code in ("insufficient_funds", "expired_card", "do_not_honor", "generic_decline",
                 "lost_card", "stolen_card", "incorrect_cvc", "processing_error",
                 "authentication_required"):
        words = decline_words(decline_code=code)
        assert words != DEFAULT or code == "generic_decline"
        assert words.endswith(".") and "Stripe" not in words


# --- the SDK client ----------------------------------------------------------------------------
def test_the_client_is_pinned_and_pointed_where_settings_say(stripe_standin):
    port = payments_port()
    assert isinstance(port, StripePayments)
    options = port.client._requestor._options
    assert options.stripe_version == API_VERSION
    assert options.base_addresses["api"] == stripe_standin.base_url
    assert options.base_addresses["connect"] == stripe_standin.base_url
    real = StripePayments(api_key="sk_test_x", api_base="")
    assert real.client._requestor._options.base_addresses["api"] == "https://api.stripe.com"


def test_a_bad_api_key_is_a_configuration_error(stripe_standin):
    port = StripePayments(api_key="not-a-key", api_base=stripe_standin.base_url,
                          max_network_retries=0)
    with pytest.raises(ConfigurationError) as exc:
        port.account_get(account_id="acct_1")
    assert exc.value.status == 401


# --- faults of the stand-in: the SDK retries, then RetryableError ------------------------------
def port_for(standin, *, retries: int, timeout: float = 10.0) -> StripePayments:
    return StripePayments(api_key=standin.api_key, api_base=standin.base_url,
                          max_network_retries=retries, timeout=timeout)


@pytest.fixture
def account(stripe_standin) -> str:
    port = port_for(stripe_standin, retries=0)
    acct = port.account_create(email="o@example.com", business_name="P", metadata={},
                               idempotency_key="oasys-test-acct")
    stripe_standin.control(f"accounts/{acct.id}", {"state": "active"})
    return acct.id


def customers_on(standin, account: str) -> list[str]:
    listed = standin.client().v1.customers.list(None, {"stripe_account": account})
    return [c.id for c in listed.data]


def fault(standin, kind: str, count: int = 1, seconds: float = 0) -> None:
    standin.control("faults", {"kind": kind, "path": "/v1/customers", "method": "POST",
                               "count": count, "seconds": seconds})


def create_customer(port: StripePayments, account: str, key: str = "oasys-client-1"):
    return port.customer_create(account_id=account, email="c@example.com", name="Pat Doe",
                                metadata={"oasys_client": "1"}, idempotency_key=key)


def test_a_500_is_retried_by_the_sdk_and_succeeds(stripe_standin, account):
    fault(stripe_standin, "500", count=1)
    cus = create_customer(port_for(stripe_standin, retries=1), account)
    assert customers_on(stripe_standin, account) == [cus.id]
    assert stripe_standin.control("faults", method="GET")["data"] == []


def test_500s_beyond_the_retries_are_retryable_and_change_nothing(stripe_standin, account):
    fault(stripe_standin, "500", count=2)
    with pytest.raises(RetryableError) as exc:
        create_customer(port_for(stripe_standin, retries=1), account)
    assert exc.value.status == 500
    assert customers_on(stripe_standin, account) == []
    cus = create_customer(port_for(stripe_standin, retries=0), account)
    assert customers_on(stripe_standin, account) == [cus.id]


def test_a_timeout_is_retryable_and_the_retry_with_the_same_key_makes_nothing_twice(
        stripe_standin, account):
    fault(stripe_standin, "timeout", seconds=1.5)  # the stand-in does the work, answers late
    with pytest.raises(RetryableError):
        create_customer(port_for(stripe_standin, retries=0, timeout=0.3), account)
    again = create_customer(port_for(stripe_standin, retries=0), account)
    assert customers_on(stripe_standin, account) == [again.id]


def test_a_dropped_connection_is_retryable_and_the_sdk_retry_replays(stripe_standin,
                                                                     account):
    fault(stripe_standin, "drop", count=1)  # the work is done, the answer never comes
    with pytest.raises(RetryableError):
        create_customer(port_for(stripe_standin, retries=0), account, key="oasys-client-a")
    fault(stripe_standin, "drop", count=1)
    cus = create_customer(port_for(stripe_standin, retries=1), account, key="oasys-client-b")
    listed = customers_on(stripe_standin, account)
    assert cus.id in listed and len(listed) == 2  # one per key, none twice


def test_a_payment_that_cannot_be_labelled_is_still_paid(stripe_standin, account, caplog):
    """The label (invoice metadata on the PaymentIntent) is written after the money moved:
    its failure is logged with ids only and the payment stands."""
    port = port_for(stripe_standin, retries=0)
    sc = stripe_standin.client()
    opts = {"stripe_account": account}
    cus = create_customer(port, account)
    pm = sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id}, opts)
    inv = port.invoice_create(account_id=account, customer_id=cus.id, currency="usd",
                              days_until_due=30, lines=[InvoiceLine("Session", Decimal("80"))],
                              metadata={"oasys_invoice_id": "42"}, idempotency_key="oasys-i")
    port.invoice_finalize(account_id=account, invoice_id=inv.id, idempotency_key="oasys-f")
    stripe_standin.control("faults", {"kind": "500", "path": "/v1/payment_intents/",
                                      "method": "POST", "count": 1})
    paid = port.invoice_pay(account_id=account, invoice_id=inv.id, payment_method_id=pm.id,
                            idempotency_key="oasys-p")
    assert paid.status == "paid" and paid.charge_id
    charge = port.charge_get(account_id=account, charge_id=paid.charge_id)
    assert (charge.invoice_id, charge.metadata) == ("", {})
    (record,) = [r for r in caplog.records if "could not label" in r.getMessage()]
    assert paid.payment_intent_id in record.getMessage()
    assert "Pat" not in record.getMessage() and "4242" not in record.getMessage()


def test_an_invoice_made_finalized_and_paid_costs_six_calls(stripe_standin, account,
                                                            monkeypatch):
    """Create (one POST and one per line, no read back), finalize, pay (the invoice answers
    with its payment's PaymentIntent expanded: no read of it), the PaymentIntent's label,
    and the charge: the calls a card-charged delivery makes, pinned."""
    port = port_for(stripe_standin, retries=0)
    sc = stripe_standin.client()
    cus = create_customer(port, account)
    pm = sc.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id},
                                      {"stripe_account": account})
    seen: list[str] = []
    real = requests.Session.request

    def counted(self, method, url, *args, **kwargs):
        seen.append(f"{method.upper()} {url.split('/v1/', 1)[-1].split('?')[0]}")
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", counted)
    draft = port.invoice_create(account_id=account, customer_id=cus.id, currency="usd",
                                days_until_due=30, metadata={"oasys_invoice_id": "7"},
                                lines=[InvoiceLine("Session", Decimal("80.00"))],
                                idempotency_key="oasys-calls")
    assert (draft.status, draft.total, draft.amount_remaining) == \
        ("draft", Decimal("80.00"), Decimal("80.00"))
    opened = port.invoice_finalize(account_id=account, invoice_id=draft.id,
                                   idempotency_key="oasys-calls-f")
    assert (opened.status, opened.total) == ("open", Decimal("80.00"))
    paid = port.invoice_pay(account_id=account, invoice_id=draft.id, payment_method_id=pm.id,
                            idempotency_key="oasys-calls-p")
    assert paid.status == "paid" and paid.charge_id.startswith("ch_")
    charge = port.charge_get(account_id=account, charge_id=paid.charge_id)
    assert (charge.amount, charge.invoice_id) == (Decimal("80.00"), draft.id)
    assert [s.split(" ")[0] + " " + s.split(" ")[1].split("/")[0] for s in seen] == [
        "POST invoices", "POST invoiceitems", "POST invoices", "POST invoices",
        "POST payment_intents", "GET charges"]
    # a read of a paid invoice is one call too (its PaymentIntent comes expanded)
    seen.clear()
    assert port.invoice_get(account_id=account, invoice_id=draft.id).charge_id == charge.id
    assert len(seen) == 1
