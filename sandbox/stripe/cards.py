"""Stripe's documented test cards and test PaymentMethod tokens, and how each behaves.

Behaviours:
* `ok`           every charge succeeds
* `decline:<decline_code>:<code>`  a charge (and saving it through Checkout) is declined
* `charge_fail`  saving succeeds; every charge is declined (card_declined / generic_decline)
* `auth_always`  saving succeeds; every charge needs authentication, so an off-session
                 charge fails with `authentication_required` (4000 0027 6000 3184)
* `auth_setup`   needs authentication on session only; once set up, off-session charges
                 succeed (4000 0025 0000 3155)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    behaviour: str
    funding: str = "credit"
    country: str = "US"

    @property
    def last4(self) -> str:
        return self.number[-4:]


CARDS = {c.number: c for c in [
    TestCard("4242424242424242", "visa", "ok"),
    TestCard("4000056655665556", "visa", "ok", funding="debit"),
    TestCard("5555555555554444", "mastercard", "ok"),
    TestCard("378282246310005", "amex", "ok"),
    TestCard("6011111111111117", "discover", "ok"),
    TestCard("4000000000000002", "visa", "decline:generic_decline:card_declined"),
    TestCard("4000000000009995", "visa", "decline:insufficient_funds:card_declined"),
    TestCard("4000000000009987", "visa", "decline:lost_card:card_declined"),
    TestCard("4000000000009979", "visa", "decline:stolen_card:card_declined"),
    TestCard("4000000000000069", "visa", "decline:expired_card:expired_card"),
    TestCard("4000000000000127", "visa", "decline:incorrect_cvc:incorrect_cvc"),
    TestCard("4000000000000119", "visa", "decline:processing_error:processing_error"),
    TestCard("4000000000000341", "visa", "charge_fail"),
    TestCard("4000002500003155", "visa", "auth_setup"),
    TestCard("4000002760003184", "visa", "auth_always"),
    TestCard("4000008260003178", "visa", "auth_always"),
]}

TOKENS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_threeDSecure2Required": "4000000000003220",
}

# Stripe's messages for each decline code (what the SDK's CardError carries).
MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": "Your card was declined. This transaction requires "
                               "authentication.",
}


def card_for_number(number: str) -> TestCard | None:
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits in CARDS:
        return CARDS[digits]
    if digits == "4000000000003220":
        return TestCard(digits, "visa", "auth_always")
    return None


def card_for_token(token: str) -> TestCard | None:
    number = TOKENS.get(token)
    return card_for_number(number) if number else None


def decline_of(behaviour: str, *, set_up: bool) -> tuple[str, str] | None:
    """(code, decline_code) when a charge with this behaviour fails, else None."""
    if behaviour.startswith("decline:"):
        _, decline_code, code = behaviour.split(":")
        return code, decline_code
    if behaviour == "charge_fail":
        return "card_declined", "generic_decline"
    if behaviour == "auth_always" or (behaviour == "auth_setup" and not set_up):
        return "authentication_required", "authentication_required"
    return None


def message_for(decline_code: str) -> str:
    return MESSAGES.get(decline_code, "Your card was declined.")


def decline_on_save(behaviour: str) -> tuple[str, str] | None:
    """(code, decline_code) when saving the card (attach, SetupIntent, Checkout) fails: only
    the cards that decline outright; `charge_fail` and authentication cards save fine."""
    if behaviour.startswith("decline:"):
        return decline_of(behaviour, set_up=True)
    return None
