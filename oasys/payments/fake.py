"""An in-memory payments processor for unit tests: the port's behaviour, without a process.

It keeps Stripe's rules that our code relies on: objects live on one connected account and
are invisible to another; the same idempotency key with the same arguments replays the first
answer and with other arguments is refused; cards that decline on saving cannot be saved;
saved cards decline or need authentication off session as Stripe's test cards do; webhook
payloads are signed like Stripe's (`Stripe-Signature: t=…,v1=…`). The contract tests run the
same cases against this fake and against the stand-in through the real adapter.

Test controls (not part of the port): `account_state_set`, `setup_session_complete`,
`fail_next`, `payout_add`, `event_emit` / `signed`, and `calls`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .declines import decline_words
from .port import (
    Account,
    AccountLink,
    BalanceTransaction,
    Card,
    CardError,
    Charge,
    ConfigurationError,
    Customer,
    Event,
    FinalError,
    IdempotencyConflict,
    InvoiceLine,
    NotFoundError,
    Page,
    PaymentsError,
    PaymentsPort,
    Payout,
    Refund,
    RemoteInvoice,
    Requirement,
    SetupSession,
    SignatureInvalid,
)

CENT = Decimal("0.01")
TOLERANCE_SECONDS = 300

# Stripe's test cards by the name of their `pm_card_…` token: (brand, last4, what an
# off-session charge does: None or (code, decline_code), whether the card declines when it
# is saved). As on Stripe (and the stand-in), cards that decline outright cannot be saved:
# a client whose card on file declines has `chargeCustomerFail`.
_CARDS: dict[str, tuple[str, str, tuple[str, str] | None, bool]] = {
    "visa": ("visa", "4242", None, False),
    "mastercard": ("mastercard", "4444", None, False),
    "amex": ("amex", "0005", None, False),
    "discover": ("discover", "1117", None, False),
    "chargeCustomerFail": ("visa", "0341", ("card_declined", "generic_decline"), False),
    "authenticationRequired": ("visa", "3184", ("authentication_required",
                                                "authentication_required"), False),
    "authenticationRequiredOnSetup": ("visa", "3155", None, False),
    "chargeDeclined": ("visa", "0002", ("card_declined", "generic_decline"), True),
    "insufficientFunds": ("visa", "9995", ("card_declined", "insufficient_funds"), True),
    "chargeDeclinedInsufficientFunds": ("visa", "9995", ("card_declined",
                                                         "insufficient_funds"), True),
    "chargeDeclinedExpiredCard": ("visa", "0069", ("expired_card", "expired_card"), True),
    "chargeDeclinedLostCard": ("visa", "9987", ("card_declined", "lost_card"), True),
    "chargeDeclinedStolenCard": ("visa", "9979", ("card_declined", "stolen_card"), True),
    "chargeDeclinedIncorrectCvc": ("visa", "0127", ("incorrect_cvc", "incorrect_cvc"), True),
    "chargeDeclinedProcessingError": ("visa", "0119", ("processing_error",
                                                       "processing_error"), True),
}
# The stand-in's requirements of a new account and of a restricted one.
_ONBOARDING_DUE = ("business_profile.name", "company.tax_id", "external_account",
                   "tos_acceptance.date", "tos_acceptance.ip")
_TAX_ID_REASON = "The tax ID (EIN) could not be verified with the IRS."


def _cents_only(amount: Decimal) -> None:
    """The adapter's rule for amounts (Stripe counts in whole cents): refuse, never round."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or \
            amount != amount.quantize(CENT):
        raise ValueError(f"{amount} is not an amount in whole cents")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FakePayments(PaymentsPort):
    def __init__(self, *, webhook_secret: str = "whsec_fake") -> None:  # noqa: S107 - a test secret
        self.webhook_secret = webhook_secret
        self._ids = itertools.count(1)
        self.accounts: dict[str, Account] = {}
        self.account_metadata: dict[str, dict[str, str]] = {}
        self.customers: dict[tuple[str, str], Customer] = {}
        self.cards: dict[tuple[str, str], Card] = {}
        self.sessions: dict[tuple[str, str], SetupSession] = {}
        self.invoices: dict[tuple[str, str], RemoteInvoice] = {}
        self.invoice_lines: dict[tuple[str, str], list[InvoiceLine]] = {}
        self.charges: dict[tuple[str, str], Charge] = {}
        self.refunds: dict[tuple[str, str], Refund] = {}
        self.payouts: dict[str, list[tuple[Payout, list[BalanceTransaction]]]] = {}
        self.events: list[Event] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._keys: dict[str, tuple[str, str, Any]] = {}
        self._failures: list[tuple[str, PaymentsError]] = []
        # Which test card each saved payment method is, and whose each invoice is.
        self._card_kind: dict[tuple[str, str], str] = {}
        self._invoice_customer: dict[tuple[str, str], str] = {}

    # --- test controls ------------------------------------------------------------------------
    def fail_next(self, method: str, error: PaymentsError, *, times: int = 1) -> None:
        """The next `times` calls of port method `method` raise `error` and change nothing."""
        self._failures.extend([(method, error)] * times)

    def account_state_set(self, account_id: str, state: str) -> Account:
        """As if the owner finished onboarding: "active", "restricted", "pending" (Stripe is
        verifying) or "onboarding" (nothing submitted)."""
        acct = self._account(account_id)
        if state == "active":
            acct = replace(acct, charges_enabled=True, payouts_enabled=True,
                           details_submitted=True, currently_due=(), past_due=(),
                           pending_verification=(), disabled_reason="")
        elif state == "restricted":
            due = (Requirement("company.tax_id", _TAX_ID_REASON),)
            acct = replace(acct, charges_enabled=False, payouts_enabled=False,
                           details_submitted=True, currently_due=due, past_due=due,
                           pending_verification=(), disabled_reason="requirements.past_due")
        elif state == "pending":
            acct = replace(acct, charges_enabled=False, payouts_enabled=False,
                           details_submitted=True, currently_due=(), past_due=(),
                           pending_verification=("company.tax_id",),
                           disabled_reason="requirements.pending_verification")
        elif state == "onboarding":
            acct = replace(acct, charges_enabled=False, payouts_enabled=False,
                           details_submitted=False, disabled_reason="requirements.past_due",
                           currently_due=tuple(Requirement(f) for f in _ONBOARDING_DUE),
                           past_due=tuple(Requirement(f) for f in _ONBOARDING_DUE),
                           pending_verification=())
        else:
            raise ValueError(state)
        self.accounts[account_id] = acct
        self.event_emit("account.updated", account_id, {"id": account_id, "object": "account"})
        return acct

    def setup_session_complete(self, account_id: str, session_id: str,
                               card: str = "visa") -> Card:
        """The client saved `card` on the hosted page (a name from `_CARDS`). A card that
        declines outright is refused as the hosted page refuses it: CardError, nothing
        saved, the session still open."""
        session = self._get(self.sessions, account_id, session_id, "checkout session")
        if session.status != "open":
            raise FinalError("This Checkout Session is no longer open.",
                             code="checkout_session_not_open", status=400)
        brand, last4, failure, declines_on_save = _CARDS[card]
        if declines_on_save and failure is not None:
            code, decline = failure
            words = decline_words(code=code, decline_code=decline)
            raise CardError(words, code=code, decline_code=decline, words=words)
        pm = Card(id=self._id("pm"), brand=brand, last4=last4, exp_month=12,
                  exp_year=_now().year + 3, customer_id=session.customer_id,
                  fingerprint=f"fp_{card}")
        self.cards[(account_id, pm.id)] = pm
        self._card_kind[(account_id, pm.id)] = card
        seti = self._id("seti")
        self.sessions[(account_id, session_id)] = replace(
            session, status="complete", setup_intent_id=seti, payment_method_id=pm.id)
        self.event_emit("checkout.session.completed", account_id,
                        {"id": session_id, "object": "checkout.session", "mode": "setup",
                         "customer": session.customer_id, "setup_intent": seti,
                         "metadata": dict(session.metadata)})
        return pm

    def payout_add(self, account_id: str, charges: list[Charge]) -> Payout:
        """A payout of these charges (net of the fee), arriving in two days."""
        net = sum((c.amount - c.fee for c in charges), Decimal("0.00"))
        payout = Payout(id=self._id("po"), amount=net, currency="usd", status="in_transit",
                        arrival_date=(_now() + dt.timedelta(days=2)).date(), created=_now(),
                        bank_last4="6789")
        # Newest first, as Stripe lists them: the payout's own line, then its charges.
        txns = [BalanceTransaction(id=self._id("txn"), type="payout", amount=-net,
                                   fee=Decimal("0.00"), net=-net, currency="usd",
                                   created=payout.created, source_id=payout.id,
                                   description="STRIPE PAYOUT")]
        txns += [BalanceTransaction(id=self._id("txn"), type="charge", amount=c.amount,
                                    fee=c.fee, net=c.amount - c.fee, currency="usd",
                                    created=c.created or _now(), source_id=c.id,
                                    description="Payment for Invoice",
                                    payment_intent_id=c.payment_intent_id,
                                    invoice_id=c.invoice_id, metadata=dict(c.metadata))
                 for c in reversed(charges)]
        self.payouts.setdefault(account_id, []).insert(0, (payout, txns))
        return payout

    def event_emit(self, type_: str, account_id: str, obj: dict[str, Any],
                   previous: dict[str, Any] | None = None) -> Event:
        raw = {"id": self._id("evt"), "object": "event", "type": type_, "account": account_id,
               "created": int(time.time()), "livemode": False, "api_version": "fake",
               "data": {"object": obj, **({"previous_attributes": previous} if previous
                                          else {})}}
        event = self._event(raw)
        self.events.append(event)
        return event

    def signed(self, event: Event | dict[str, Any], *, secret: str | None = None,
               timestamp: int | None = None) -> tuple[bytes, str]:
        """(body, Stripe-Signature header) as Stripe would post `event`."""
        raw = event.raw if isinstance(event, Event) else event
        body = json.dumps(raw).encode()
        t = int(time.time()) if timestamp is None else timestamp
        sig = hmac.new((secret or self.webhook_secret).encode(), f"{t}.".encode() + body,
                       hashlib.sha256).hexdigest()
        return body, f"t={t},v1={sig}"

    # --- plumbing -----------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def _call(self, method: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((method, dict(kwargs)))
        for i, (name, error) in enumerate(self._failures):
            if name == method:
                del self._failures[i]
                raise error

    def _replay(self, method: str, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        key = kwargs.get("idempotency_key", "")
        if not key or key not in self._keys:
            return False, None
        was_method, was_args, result = self._keys[key]
        args = repr(sorted((k, v) for k, v in kwargs.items() if k != "idempotency_key"))
        if was_method != method or was_args != args:
            raise IdempotencyConflict(
                "Keys for idempotent requests can only be used with the same parameters they "
                "were first used with.", code="idempotency_error", status=400)
        if isinstance(result, PaymentsError):
            raise result
        return True, result

    def _remember(self, method: str, kwargs: dict[str, Any], result: Any) -> Any:
        key = kwargs.get("idempotency_key", "")
        if key:
            args = repr(sorted((k, v) for k, v in kwargs.items() if k != "idempotency_key"))
            self._keys[key] = (method, args, result)
        return result

    def _account(self, account_id: str) -> Account:
        """A connected account named in `Stripe-Account`: unknown is Stripe's 403."""
        acct = self.accounts.get(account_id)
        if acct is None or acct.deleted:
            raise ConfigurationError(f"The provided key does not have access to account "
                                     f"'{account_id}'.", code="account_invalid", status=403)
        return acct

    def _platform_account(self, account_id: str, param: str = "id") -> Account:
        """An account the platform looks up by id: unknown is a 404."""
        acct = self.accounts.get(account_id)
        if acct is None or acct.deleted:
            raise NotFoundError(f"No such account: '{account_id}'", code="resource_missing",
                                status=404, param=param)
        return acct

    def _charges_allowed(self, account_id: str) -> None:
        if not self._account(account_id).charges_enabled:
            raise FinalError("Your account cannot currently make charges.",
                             code="account_charges_disabled", status=400)

    @staticmethod
    def _get(store: dict, account_id: str, object_id: str, noun: str) -> Any:
        obj = store.get((account_id, object_id))
        if obj is None:
            raise NotFoundError(f"No such {noun}: '{object_id}'", code="resource_missing",
                                status=404)
        return obj

    @staticmethod
    def _event(raw: dict[str, Any]) -> Event:
        data = raw.get("data") or {}
        return Event(id=raw["id"], type=raw["type"], account_id=raw.get("account") or "",
                     created=dt.datetime.fromtimestamp(raw["created"], dt.UTC),
                     object=data.get("object") or {},
                     previous_attributes=data.get("previous_attributes") or {},
                     livemode=bool(raw.get("livemode")), raw=raw)

    # --- accounts -----------------------------------------------------------------------------
    def account_create(self, *, email: str, business_name: str, metadata: dict[str, str],
                       idempotency_key: str) -> Account:
        kwargs = dict(email=email, business_name=business_name, metadata=dict(metadata),
                      idempotency_key=idempotency_key)
        self._call("account_create", kwargs)
        hit, result = self._replay("account_create", kwargs)
        if hit:
            return result
        acct = Account(id=self._id("acct"), charges_enabled=False, payouts_enabled=False,
                       details_submitted=False, business_name=business_name, email=email,
                       currently_due=tuple(Requirement(f) for f in _ONBOARDING_DUE),
                       past_due=tuple(Requirement(f) for f in _ONBOARDING_DUE),
                       disabled_reason="requirements.past_due", created=_now())
        self.accounts[acct.id] = acct
        self.account_metadata[acct.id] = dict(metadata)
        return self._remember("account_create", kwargs, acct)

    def account_get(self, *, account_id: str) -> Account:
        self._call("account_get", {"account_id": account_id})
        return self._platform_account(account_id)

    def account_find(self, *, metadata_key: str, metadata_value: str) -> Account | None:
        self._call("account_find", {"metadata_key": metadata_key})
        for acct_id, meta in self.account_metadata.items():
            if meta.get(metadata_key) == metadata_value and not self.accounts[acct_id].deleted:
                return self.accounts[acct_id]
        return None

    def account_link_create(self, *, account_id: str, kind: str, return_url: str,
                            refresh_url: str, idempotency_key: str) -> AccountLink:
        self._call("account_link_create", {"account_id": account_id, "kind": kind})
        if kind not in ("onboarding", "update"):
            raise FinalError(f"Invalid type: {kind}", code="parameter_invalid", status=400,
                             param="type")
        self._platform_account(account_id, "account")
        return AccountLink(url=f"https://connect.fake.test/setup/{account_id}/{self._id('l')}",
                           expires_at=_now() + dt.timedelta(minutes=5))

    # --- customers and cards ------------------------------------------------------------------
    def customer_create(self, *, account_id: str, email: str, name: str,
                        metadata: dict[str, str], idempotency_key: str) -> Customer:
        kwargs = dict(account_id=account_id, email=email, name=name, metadata=dict(metadata),
                      idempotency_key=idempotency_key)
        self._call("customer_create", kwargs)
        self._account(account_id)
        hit, result = self._replay("customer_create", kwargs)
        if hit:
            return result
        cus = Customer(id=self._id("cus"), email=email, name=name, metadata=dict(metadata))
        self.customers[(account_id, cus.id)] = cus
        return self._remember("customer_create", kwargs, cus)

    def customer_get(self, *, account_id: str, customer_id: str) -> Customer:
        self._call("customer_get", {"account_id": account_id, "customer_id": customer_id})
        return self._get(self.customers, account_id, customer_id, "customer")

    def customer_find(self, *, account_id: str, email: str, metadata_key: str,
                      metadata_value: str) -> Customer | None:
        self._call("customer_find", {"account_id": account_id})
        for (acct, _), cus in self.customers.items():
            if acct == account_id and cus.email == email and \
                    cus.metadata.get(metadata_key) == metadata_value and not cus.deleted:
                return cus
        return None

    def customer_default_card_set(self, *, account_id: str, customer_id: str,
                                  payment_method_id: str, idempotency_key: str) -> Customer:
        self._call("customer_default_card_set", {"account_id": account_id,
                                                 "customer_id": customer_id,
                                                 "payment_method_id": payment_method_id})
        cus = self._get(self.customers, account_id, customer_id, "customer")
        card = self._get(self.cards, account_id, payment_method_id, "payment method")
        if card.customer_id != customer_id:
            raise FinalError("The payment method must be attached to the customer.",
                             code="resource_missing", status=400,
                             param="invoice_settings[default_payment_method]")
        cus = replace(cus, default_payment_method=payment_method_id)
        self.customers[(account_id, customer_id)] = cus
        return cus

    def setup_session_create(self, *, account_id: str, customer_id: str, success_url: str,
                             cancel_url: str, metadata: dict[str, str],
                             idempotency_key: str) -> SetupSession:
        kwargs = dict(account_id=account_id, customer_id=customer_id, success_url=success_url,
                      cancel_url=cancel_url, metadata=dict(metadata),
                      idempotency_key=idempotency_key)
        self._call("setup_session_create", kwargs)
        self._get(self.customers, account_id, customer_id, "customer")
        hit, result = self._replay("setup_session_create", kwargs)
        if hit:
            return result
        sid = self._id("cs")
        session = SetupSession(id=sid, url=f"https://checkout.fake.test/c/pay/{sid}",
                               status="open", customer_id=customer_id,
                               expires_at=_now() + dt.timedelta(hours=24),
                               metadata=dict(metadata))
        self.sessions[(account_id, sid)] = session
        return self._remember("setup_session_create", kwargs, session)

    def setup_session_get(self, *, account_id: str, session_id: str) -> SetupSession:
        self._call("setup_session_get", {"account_id": account_id, "session_id": session_id})
        return self._get(self.sessions, account_id, session_id, "checkout session")

    def card_get(self, *, account_id: str, payment_method_id: str) -> Card:
        self._call("card_get", {"account_id": account_id,
                                "payment_method_id": payment_method_id})
        return self._get(self.cards, account_id, payment_method_id, "payment method")

    def card_list(self, *, account_id: str, customer_id: str) -> list[Card]:
        self._call("card_list", {"account_id": account_id, "customer_id": customer_id})
        return [c for (acct, _), c in reversed(self.cards.items())
                if acct == account_id and c.customer_id == customer_id]

    def card_detach(self, *, account_id: str, payment_method_id: str,
                    idempotency_key: str) -> None:
        self._call("card_detach", {"account_id": account_id,
                                   "payment_method_id": payment_method_id})
        card = self._get(self.cards, account_id, payment_method_id, "payment method")
        if not card.customer_id:
            raise FinalError("The payment method is not attached to a customer.",
                             code="payment_method_unexpected_state", status=400)
        self.cards[(account_id, payment_method_id)] = replace(card, customer_id="")
        for key, cus in list(self.customers.items()):
            if key[0] == account_id and cus.default_payment_method == payment_method_id:
                self.customers[key] = replace(cus, default_payment_method="")

    # --- invoices, charges, refunds -----------------------------------------------------------
    def invoice_create(self, *, account_id: str, customer_id: str, lines: list[InvoiceLine],
                       currency: str, days_until_due: int, metadata: dict[str, str],
                       idempotency_key: str) -> RemoteInvoice:
        kwargs = dict(account_id=account_id, customer_id=customer_id,
                      lines=[(ln.description, ln.amount) for ln in lines], currency=currency,
                      days_until_due=days_until_due, metadata=dict(metadata),
                      idempotency_key=idempotency_key)
        for line in lines:
            _cents_only(line.amount)  # refused before anything is sent, as the adapter does
        self._call("invoice_create", kwargs)
        self._get(self.customers, account_id, customer_id, "customer")
        hit, result = self._replay("invoice_create", kwargs)
        if hit:
            return result
        for line in lines:
            _cents_only(line.amount)
        total = sum((ln.amount for ln in lines), Decimal("0.00"))
        inv = RemoteInvoice(id=self._id("in"), status="draft", currency=currency, total=total,
                            amount_paid=Decimal("0.00"), amount_remaining=total,
                            due_date=(_now() + dt.timedelta(days=days_until_due)).date(),
                            metadata=dict(metadata))
        self.invoices[(account_id, inv.id)] = inv
        self.invoice_lines[(account_id, inv.id)] = list(lines)
        self._invoice_customer[(account_id, inv.id)] = customer_id
        return self._remember("invoice_create", kwargs, inv)

    def invoice_get(self, *, account_id: str, invoice_id: str) -> RemoteInvoice:
        self._call("invoice_get", {"account_id": account_id, "invoice_id": invoice_id})
        return self._get(self.invoices, account_id, invoice_id, "invoice")

    def _invoice_move(self, method: str, account_id: str, invoice_id: str, key: str,
                      frm: set[str], **changes: Any) -> RemoteInvoice:
        kwargs = {"account_id": account_id, "invoice_id": invoice_id, "idempotency_key": key}
        self._call(method, kwargs)
        hit, result = self._replay(method, kwargs)
        if hit:
            return result
        inv = self._get(self.invoices, account_id, invoice_id, "invoice")
        if inv.status not in frm:
            raise FinalError(f"This invoice is {inv.status}.", code="invoice_not_editable"
                             if inv.status == "draft" else "invoice_unexpected_state",
                             status=400)
        inv = replace(inv, **changes)
        self.invoices[(account_id, invoice_id)] = inv
        return self._remember(method, kwargs, inv)

    def invoice_finalize(self, *, account_id: str, invoice_id: str,
                         idempotency_key: str) -> RemoteInvoice:
        n = next(self._ids)
        return self._invoice_move(
            "invoice_finalize", account_id, invoice_id, idempotency_key, {"draft"},
            status="open", number=f"FAKE-{n:04d}",
            hosted_invoice_url=f"https://invoice.fake.test/i/{invoice_id}",
            invoice_pdf=f"https://invoice.fake.test/i/{invoice_id}/pdf")

    def invoice_pay(self, *, account_id: str, invoice_id: str, payment_method_id: str,
                    idempotency_key: str) -> RemoteInvoice:
        kwargs = {"account_id": account_id, "invoice_id": invoice_id,
                  "payment_method_id": payment_method_id, "idempotency_key": idempotency_key}
        self._call("invoice_pay", kwargs)
        hit, result = self._replay("invoice_pay", kwargs)
        if hit:
            return result
        self._charges_allowed(account_id)
        inv = self._get(self.invoices, account_id, invoice_id, "invoice")
        if inv.status == "paid":
            raise FinalError("Invoice is already paid", code="invoice_already_paid",
                             status=400)
        if inv.status not in ("open", "uncollectible"):
            raise FinalError(f"You can only pay an invoice that is open or uncollectible; "
                             f"this invoice is {inv.status}.", status=400,
                             code="invoice_not_editable" if inv.status == "draft" else "")
        card = self._get(self.cards, account_id, payment_method_id, "payment method")
        if card.customer_id and card.customer_id != self._invoice_customer.get(
                (account_id, invoice_id)):
            raise FinalError("The provided PaymentMethod belongs to a different Customer.",
                             status=400, param="payment_method")
        kind = self._card_kind.get((account_id, card.id), "visa")
        error = _CARDS[kind][2]
        pi = self._id("pi")
        if error is not None:
            code, decline = error
            words = decline_words(code=code, decline_code=decline)
            failed = Charge(id=self._id("ch"), amount=inv.amount_remaining,
                            currency=inv.currency, status="failed", payment_intent_id=pi,
                            payment_method_id=card.id, card_brand=card.brand,
                            card_last4=card.last4, created=_now())
            self.charges[(account_id, failed.id)] = failed
            err = CardError(words, code=code, decline_code=decline, words=words,
                            payment_intent_id=pi, charge_id=failed.id,
                            payment_method_id=card.id)
            self._remember("invoice_pay", kwargs, err)
            raise err
        # Stripe's US card price, 2.9% + 30¢, rounded half up to the cent (as the stand-in).
        fee = (inv.amount_remaining * Decimal("0.029")).quantize(CENT, ROUND_HALF_UP) + \
            Decimal("0.30")
        # The adapter labels the invoice's payment with the invoice's metadata and id.
        ch_id = self._id("ch")
        charge = Charge(id=ch_id, amount=inv.amount_remaining, currency=inv.currency,
                        status="succeeded", fee=fee, payment_intent_id=pi,
                        invoice_id=invoice_id, payment_method_id=card.id,
                        card_brand=card.brand, card_last4=card.last4, created=_now(),
                        receipt_url=f"https://pay.fake.test/receipts/{ch_id}",
                        metadata=dict(inv.metadata))
        self.charges[(account_id, charge.id)] = charge
        inv = replace(inv, status="paid", amount_paid=inv.total,
                      amount_remaining=Decimal("0.00"), payment_intent_id=pi,
                      charge_id=charge.id, paid_at=_now())
        self.invoices[(account_id, invoice_id)] = inv
        return self._remember("invoice_pay", kwargs, inv)

    def invoice_pay_out_of_band(self, *, account_id: str, invoice_id: str,
                                idempotency_key: str) -> RemoteInvoice:
        inv = self._get(self.invoices, account_id, invoice_id, "invoice")
        return self._invoice_move("invoice_pay_out_of_band", account_id, invoice_id,
                                  idempotency_key, {"open", "uncollectible"}, status="paid",
                                  amount_paid=inv.total, amount_remaining=Decimal("0.00"),
                                  paid_at=_now())

    def invoice_void(self, *, account_id: str, invoice_id: str,
                     idempotency_key: str) -> RemoteInvoice:
        return self._invoice_move("invoice_void", account_id, invoice_id, idempotency_key,
                                  {"open", "uncollectible"}, status="void")

    def invoice_mark_uncollectible(self, *, account_id: str, invoice_id: str,
                                   idempotency_key: str) -> RemoteInvoice:
        return self._invoice_move("invoice_mark_uncollectible", account_id, invoice_id,
                                  idempotency_key, {"open"}, status="uncollectible")

    def charge_get(self, *, account_id: str, charge_id: str) -> Charge:
        self._call("charge_get", {"account_id": account_id, "charge_id": charge_id})
        return self._get(self.charges, account_id, charge_id, "charge")

    def refund_create(self, *, account_id: str, charge_id: str, amount: Decimal,
                      idempotency_key: str) -> Refund:
        kwargs = {"account_id": account_id, "charge_id": charge_id, "amount": amount,
                  "idempotency_key": idempotency_key}
        _cents_only(amount)
        self._call("refund_create", kwargs)
        hit, result = self._replay("refund_create", kwargs)
        if hit:
            return result
        charge = self._get(self.charges, account_id, charge_id, "charge")
        left = charge.amount - charge.amount_refunded
        if left <= 0:
            raise FinalError(f"Charge {charge_id} has already been refunded.",
                             code="charge_already_refunded", status=400)
        if amount <= 0 or amount > left:
            raise FinalError(f"Refund amount (${amount}) is greater than unrefunded amount on "
                             f"charge (${left})", code="amount_too_large", status=400,
                             param="amount")
        self.charges[(account_id, charge_id)] = replace(
            charge, amount_refunded=charge.amount_refunded + amount)
        refund = Refund(id=self._id("re"), amount=amount, currency=charge.currency,
                        status="succeeded", charge_id=charge_id)
        self.refunds[(account_id, refund.id)] = refund
        return self._remember("refund_create", kwargs, refund)

    def refund_list(self, *, account_id: str, charge_id: str) -> list[Refund]:
        self._call("refund_list", {"account_id": account_id, "charge_id": charge_id})
        self._get(self.charges, account_id, charge_id, "charge")
        return [r for (acct, _), r in reversed(self.refunds.items())
                if acct == account_id and r.charge_id == charge_id]

    # --- payouts ------------------------------------------------------------------------------
    def payout_list(self, *, account_id: str, limit: int = 20,
                    starting_after: str = "") -> Page[Payout]:
        self._call("payout_list", {"account_id": account_id})
        self._account(account_id)
        payouts = [p for p, _ in self.payouts.get(account_id, [])]
        if starting_after:
            ids = [p.id for p in payouts]
            payouts = payouts[ids.index(starting_after) + 1:] if starting_after in ids else []
        return Page(items=payouts[:limit], has_more=len(payouts) > limit)

    def payout_get(self, *, account_id: str, payout_id: str) -> Payout:
        self._call("payout_get", {"account_id": account_id, "payout_id": payout_id})
        for payout, _ in self.payouts.get(account_id, []):
            if payout.id == payout_id:
                return payout
        raise NotFoundError(f"No such payout: '{payout_id}'", code="resource_missing",
                            status=404)

    def payout_transactions(self, *, account_id: str,
                            payout_id: str) -> list[BalanceTransaction]:
        self._call("payout_transactions", {"account_id": account_id, "payout_id": payout_id})
        for payout, txns in self.payouts.get(account_id, []):
            if payout.id == payout_id:
                return list(txns)
        raise NotFoundError(f"No such payout: '{payout_id}'", code="resource_missing",
                            status=404)

    # --- webhooks -----------------------------------------------------------------------------
    def event_parse(self, *, payload: bytes, signature: str) -> Event:
        parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
        try:
            t = int(parts.get("t", ""))
        except ValueError:
            raise SignatureInvalid("No timestamp in the Stripe-Signature header.") from None
        expected = hmac.new(self.webhook_secret.encode(), f"{t}.".encode() + payload,
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise SignatureInvalid("The Stripe-Signature does not match the payload.")
        if abs(time.time() - t) > TOLERANCE_SECONDS:
            raise SignatureInvalid("The Stripe-Signature is older than five minutes.")
        try:
            raw = json.loads(payload)
            return self._event(raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise SignatureInvalid(f"The payload is not a Stripe event: {exc}") from None

    def event_get(self, *, account_id: str, event_id: str) -> Event:
        self._call("event_get", {"account_id": account_id, "event_id": event_id})
        for event in self.events:
            if event.id == event_id and event.account_id == account_id:
                return event
        raise NotFoundError(f"No such event: '{event_id}'", code="resource_missing", status=404)

