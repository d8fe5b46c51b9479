"""Stripe's decline and card error codes in words a therapist can act on.

Stripe's own messages ("Your card was declined.") speak to the cardholder and say nothing
about what to do next. These are shown to staff beside the invoice and in the client's
email, so each says what happened and what the practice or the client can do. The Stripe
adapter and the fake both use `decline_words`, so tests and production read the same text.
"""

from __future__ import annotations

# decline_code (or, failing that, the error code) -> the words shown.
WORDS: dict[str, str] = {
    "insufficient_funds": "The card has insufficient funds. Ask the client to use another "
                          "card or try again after their next deposit.",
    "expired_card": "The card has expired. Ask the client to add a current card.",
    "do_not_honor": "The client's bank declined the payment without giving a reason. Ask "
                    "the client to call their bank or use another card.",
    "generic_decline": "The card was declined. Ask the client to call their bank or use "
                       "another card.",
    "card_declined": "The card was declined. Ask the client to call their bank or use "
                     "another card.",
    "lost_card": "The card was reported lost. Ask the client to add a new card.",
    "stolen_card": "The card was reported stolen. Ask the client to add a new card.",
    "pickup_card": "The bank asked for the card to be retained. Ask the client to add a "
                   "new card.",
    "incorrect_cvc": "The card's security code was wrong. Ask the client to enter the card "
                     "again.",
    "invalid_cvc": "The card's security code was wrong. Ask the client to enter the card "
                   "again.",
    "incorrect_number": "The card number was wrong. Ask the client to enter the card again.",
    "invalid_expiry_year": "The card's expiry date was wrong. Ask the client to enter the "
                           "card again.",
    "processing_error": "The card could not be processed just now. Try again in a few "
                        "minutes.",
    "authentication_required": "The client's bank wants the client to approve this "
                               "payment. Send the client the invoice link so they can pay "
                               "and confirm it themselves.",
    "invoice_payment_intent_requires_action": "The client's bank wants the client to "
                                              "approve this payment. Send the client the "
                                              "invoice link so they can pay and confirm it "
                                              "themselves.",
    "fraudulent": "The bank declined the payment as suspected fraud. Ask the client to "
                  "call their bank or use another card.",
    "card_velocity_exceeded": "The card is over its spending limit. Ask the client to use "
                              "another card or try again later.",
    "withdrawal_count_limit_exceeded": "The card is over its spending limit. Ask the client "
                                       "to use another card or try again later.",
    "currency_not_supported": "The card cannot be charged in US dollars. Ask the client to "
                              "use another card.",
    "card_not_supported": "The card does not support this kind of payment. Ask the client "
                          "to use another card.",
    "try_again_later": "The bank could not take the payment just now. Try again in a few "
                       "minutes.",
}

DEFAULT = WORDS["card_declined"]


def decline_words(*, code: str = "", decline_code: str = "") -> str:
    """The plain-English reason for a card error: the decline code first (it is the more
    precise of the two), then the error code, then a general decline."""
    for key in (decline_code, code):
        if key and key in WORDS:
            return WORDS[key]
    return DEFAULT
