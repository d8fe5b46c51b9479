"""The payments port: what the product needs from a card processor, in our own terms.

Adapters implement :class:`PaymentsPort`: `stripe_adapter.py` on the official `stripe` SDK
(real Stripe, or the stand-in in `sandbox/stripe/`, which the SDK cannot tell apart), and
`fake.py` in memory for unit tests. Services ask `connection.payments_port()` for it.

Rules every adapter keeps:
- Amounts cross the port as `Decimal` dollars with a currency; only the Stripe adapter
  sees cents.
- Every call that creates or changes something takes an `idempotency_key` the caller
  derives from our own row ids (see `idempotency.py`), so a retry makes nothing twice.
- Every call about a practice's money names its connected `account_id`: the practice is
  the merchant of record, nothing is created on the platform account.
- Errors crossing the port are ours: :class:`RetryableError` (network, 5xx, 429: try again
  with the same key), :class:`FinalError` (refused; repeating will not help), and its
  :class:`CardError` (a decline, with the reason in words a therapist can act on).
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

T = TypeVar("T")

# --- Errors ----------------------------------------------------------------------------------


class PaymentsError(Exception):
    """Base of every error an adapter raises."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None,
                 param: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.param = param


class RetryableError(PaymentsError):
    """Timeouts, dropped connections, 5xx, 429 and Stripe's 409 lock conflicts: the call may
    succeed if repeated with the same idempotency key."""


class FinalError(PaymentsError):
    """Stripe refused the request (4xx); repeating it will not help."""


class NotFoundError(FinalError):
    """The object does not exist on that account (Stripe's `resource_missing`)."""


class IdempotencyConflict(FinalError):
    """The key was used before with other parameters: a bug in how we derive keys."""


class ConfigurationError(FinalError):
    """Bad API key, or the platform may not act on that account (401/403)."""


class SignatureInvalid(FinalError):
    """A webhook whose `Stripe-Signature` does not verify, is missing, or is too old."""


class CardError(FinalError):
    """A card was declined or needs the cardholder. `words` is the reason in plain English,
    shown to staff and in the client's email; `code` and `decline_code` are Stripe's."""

    def __init__(self, message: str, *, code: str = "", decline_code: str = "",
                 words: str = "", payment_intent_id: str = "", charge_id: str = "",
                 payment_method_id: str = "", status: int | None = 402) -> None:
        super().__init__(message, code=code, status=status)
        self.decline_code = decline_code
        self.words = words or message
        self.payment_intent_id = payment_intent_id
        self.charge_id = charge_id
        self.payment_method_id = payment_method_id

    @property
    def needs_authentication(self) -> bool:
        return self.code == "authentication_required" or \
            self.decline_code == "authentication_required"


# --- Connected accounts ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requirement:
    """One thing Stripe still needs (`requirements.currently_due` etc.): Stripe's field name
    and, when Stripe gave one, its reason (`requirements.errors`)."""

    field: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    business_name: str = ""
    email: str = ""
    currently_due: tuple[Requirement, ...] = ()
    past_due: tuple[Requirement, ...] = ()
    pending_verification: tuple[str, ...] = ()
    disabled_reason: str = ""
    deleted: bool = False
    created: dt.datetime | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AccountLink:
    url: str
    expires_at: dt.datetime


# --- Customers and cards ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    email: str = ""
    name: str = ""
    default_payment_method: str = ""  # pm_… or ""
    deleted: bool = False
    metadata: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Card:
    """A saved card: never more of it than Stripe shows anyone (brand, last 4, expiry)."""

    id: str  # pm_…
    brand: str  # visa, mastercard, amex, discover …
    last4: str
    exp_month: int
    exp_year: int
    customer_id: str = ""
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class SetupSession:
    """A Stripe-hosted page (Checkout in setup mode) where the client saves a card."""

    id: str  # cs_…
    url: str
    status: str  # open | complete | expired
    customer_id: str
    expires_at: dt.datetime
    setup_intent_id: str = ""
    payment_method_id: str = ""  # once complete
    metadata: dict = field(default_factory=dict, compare=False)


# --- Invoices, charges, refunds (used by the invoices issue) ----------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    amount: Decimal
    metadata: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class RemoteInvoice:
    """Stripe's copy of one of our invoices."""

    id: str  # in_…
    status: str  # draft | open | paid | void | uncollectible
    currency: str
    total: Decimal
    amount_paid: Decimal
    amount_remaining: Decimal
    number: str = ""
    hosted_invoice_url: str = ""
    invoice_pdf: str = ""
    due_date: dt.date | None = None
    payment_intent_id: str = ""
    charge_id: str = ""
    paid_at: dt.datetime | None = None
    metadata: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Charge:
    id: str  # ch_…
    amount: Decimal
    currency: str
    status: str  # succeeded | failed | pending
    amount_refunded: Decimal = Decimal("0.00")
    fee: Decimal = Decimal("0.00")
    payment_intent_id: str = ""
    invoice_id: str = ""
    payment_method_id: str = ""
    card_brand: str = ""
    card_last4: str = ""
    receipt_url: str = ""
    created: dt.datetime | None = None
    metadata: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Refund:
    id: str  # re_…
    amount: Decimal
    currency: str
    status: str  # succeeded | pending | failed | canceled
    charge_id: str = ""


# --- Payouts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payout:
    id: str  # po_…
    amount: Decimal
    currency: str
    status: str  # pending | in_transit | paid | failed | canceled
    arrival_date: dt.date
    created: dt.datetime
    bank_last4: str = ""


@dataclass(frozen=True, slots=True)
class BalanceTransaction:
    """One line of a payout: a charge (gross, fee, net), a refund, or the payout itself.
    `source_id` is the charge / refund / payout id; for a charge, `payment_intent_id`,
    `invoice_id` and `metadata` say which of our invoices it paid."""

    id: str  # txn_…
    type: str  # charge | payment | refund | payout | adjustment …
    amount: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    created: dt.datetime
    source_id: str = ""
    description: str = ""
    payment_intent_id: str = ""
    invoice_id: str = ""
    metadata: dict = field(default_factory=dict, compare=False)


# --- Webhook events -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """A verified webhook event. `object` is `data.object` as Stripe sent it; handlers use it
    only to learn which object changed and fetch the current one (events come out of order)."""

    id: str  # evt_…
    type: str
    account_id: str  # the connected account it is about ("" for the platform's own)
    created: dt.datetime
    object: dict = field(default_factory=dict, compare=False, repr=False)
    previous_attributes: dict = field(default_factory=dict, compare=False, repr=False)
    livemode: bool = False
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool = False


# --- The port -------------------------------------------------------------------------------


class PaymentsPort(abc.ABC):
    """Everything Oasys asks of Stripe. Keyword-only; ids are Stripe's; money is Decimal."""

    # Connected accounts (Stripe Connect, Express): the practice is the merchant of record.
    @abc.abstractmethod
    def account_create(self, *, email: str, business_name: str, metadata: dict[str, str],
                       idempotency_key: str) -> Account: ...

    @abc.abstractmethod
    def account_get(self, *, account_id: str) -> Account: ...

    @abc.abstractmethod
    def account_find(self, *, metadata_key: str, metadata_value: str) -> Account | None:
        """The platform's account whose metadata holds that value (a lookup before retrying a
        creation whose idempotency key Stripe may have forgotten)."""

    @abc.abstractmethod
    def account_link_create(self, *, account_id: str, kind: str, return_url: str,
                            refresh_url: str, idempotency_key: str) -> AccountLink:
        """`kind` is "onboarding" (account_onboarding) or "update" (account_update)."""

    # Customers and saved cards, on the connected account.
    @abc.abstractmethod
    def customer_create(self, *, account_id: str, email: str, name: str,
                        metadata: dict[str, str], idempotency_key: str) -> Customer: ...

    @abc.abstractmethod
    def customer_get(self, *, account_id: str, customer_id: str) -> Customer: ...

    @abc.abstractmethod
    def customer_find(self, *, account_id: str, email: str, metadata_key: str,
                      metadata_value: str) -> Customer | None:
        """The account's customer with that email whose metadata holds that value."""

    @abc.abstractmethod
    def customer_default_card_set(self, *, account_id: str, customer_id: str,
                                  payment_method_id: str, idempotency_key: str) -> Customer: ...

    @abc.abstractmethod
    def setup_session_create(self, *, account_id: str, customer_id: str, success_url: str,
                             cancel_url: str, metadata: dict[str, str],
                             idempotency_key: str) -> SetupSession:
        """A hosted card form (Checkout, setup mode). `success_url` may contain
        `{CHECKOUT_SESSION_ID}`, which Stripe fills in."""

    @abc.abstractmethod
    def setup_session_get(self, *, account_id: str, session_id: str) -> SetupSession: ...

    @abc.abstractmethod
    def card_get(self, *, account_id: str, payment_method_id: str) -> Card: ...

    @abc.abstractmethod
    def card_list(self, *, account_id: str, customer_id: str) -> list[Card]: ...

    @abc.abstractmethod
    def card_detach(self, *, account_id: str, payment_method_id: str,
                    idempotency_key: str) -> None: ...

    # Invoices and charges (the invoices issue), on the connected account.
    @abc.abstractmethod
    def invoice_create(self, *, account_id: str, customer_id: str, lines: list[InvoiceLine],
                       currency: str, days_until_due: int, metadata: dict[str, str],
                       idempotency_key: str) -> RemoteInvoice:
        """A draft with its lines (`collection_method=send_invoice`, `auto_advance` off: we
        finalize, email and charge it ourselves)."""

    @abc.abstractmethod
    def invoice_get(self, *, account_id: str, invoice_id: str) -> RemoteInvoice: ...

    @abc.abstractmethod
    def invoice_finalize(self, *, account_id: str, invoice_id: str,
                         idempotency_key: str) -> RemoteInvoice: ...

    @abc.abstractmethod
    def invoice_pay(self, *, account_id: str, invoice_id: str, payment_method_id: str,
                    idempotency_key: str) -> RemoteInvoice:
        """Charge a saved card off session. Raises CardError on a decline."""

    @abc.abstractmethod
    def invoice_pay_out_of_band(self, *, account_id: str, invoice_id: str,
                                idempotency_key: str) -> RemoteInvoice:
        """Mark paid on Stripe because the money came another way (cash, check)."""

    @abc.abstractmethod
    def invoice_void(self, *, account_id: str, invoice_id: str,
                     idempotency_key: str) -> RemoteInvoice: ...

    @abc.abstractmethod
    def invoice_mark_uncollectible(self, *, account_id: str, invoice_id: str,
                                   idempotency_key: str) -> RemoteInvoice: ...

    @abc.abstractmethod
    def charge_get(self, *, account_id: str, charge_id: str) -> Charge: ...

    @abc.abstractmethod
    def refund_create(self, *, account_id: str, charge_id: str, amount: Decimal,
                      idempotency_key: str) -> Refund: ...

    @abc.abstractmethod
    def refund_list(self, *, account_id: str, charge_id: str) -> list[Refund]:
        """Every refund of the charge, newest first (what the refund webhooks converge on)."""

    # Payouts to the practice's bank.
    @abc.abstractmethod
    def payout_list(self, *, account_id: str, limit: int = 20,
                    starting_after: str = "") -> Page[Payout]: ...

    @abc.abstractmethod
    def payout_get(self, *, account_id: str, payout_id: str) -> Payout: ...

    @abc.abstractmethod
    def payout_transactions(self, *, account_id: str,
                            payout_id: str) -> list[BalanceTransaction]: ...

    # Webhooks.
    @abc.abstractmethod
    def event_parse(self, *, payload: bytes, signature: str) -> Event:
        """Verify `Stripe-Signature` (5-minute tolerance) and parse. Raises SignatureInvalid."""

    @abc.abstractmethod
    def event_get(self, *, account_id: str, event_id: str) -> Event: ...
