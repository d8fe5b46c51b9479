"""The payments port on the official `stripe` SDK: the only code that sees cents, Stripe's
object shapes and its errors. Pointed at Stripe itself, or (STRIPE_API_BASE) at the stand-in
in `sandbox/stripe/`, which the SDK cannot tell apart.

- One API version, pinned: the shapes read here are that version's. In it an invoice has no
  `payment_intent` and a charge or PaymentIntent no `invoice`: an invoice's payments are its
  `payments` list (expanded). So that a charge (and the payout line it becomes) still says
  which invoice it paid, `invoice_pay` copies the invoice's metadata and id onto the
  PaymentIntent it made; charges and balance transactions read them back from there.
- Every call about a practice's money goes to its connected account (`stripe_account`, the
  `Stripe-Account` header); accounts and account links belong to the platform.
- Every POST carries the caller's idempotency key; a call that makes several POSTs derives
  one key per POST from it, so a retry of the whole replays each.
- The SDK retries network errors, 409 and 5xx itself (`max_network_retries`, with backoff,
  the same key each time); what is left is mapped to the port's errors in `_errors`, once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import stripe

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
    RetryableError,
    SetupSession,
    SignatureInvalid,
)

# The API version the adapter is written against; the stand-in speaks the same one.
API_VERSION = "2026-10-28.endive"
# Stripe's webhook signature tolerance, as the issue asks: five minutes.
WEBHOOK_TOLERANCE_SECONDS = 300
# Zero-decimal currencies are not ours: every amount here is dollars and cents.
CENTS_PER_UNIT = 100
LINK_KINDS = {"onboarding": "account_onboarding", "update": "account_update"}
# The PaymentIntent metadata key holding the Stripe invoice it paid (see the module doc).
INVOICE_KEY = "oasys_stripe_invoice"
# An invoice is read with its payments and each payment's PaymentIntent (whose
# `latest_charge` is the charge), so a paid invoice costs one call, not two. Four levels:
# Stripe's most.
INVOICE_EXPAND = ["payments.data.payment.payment_intent"]

log = logging.getLogger(__name__)


# --- cents: the one place they exist -------------------------------------------------------


def to_cents(amount: Decimal) -> int:
    """Decimal dollars to integer cents. More than two decimals is a bug upstream (money()
    rounds once, in our code), so it is refused rather than rounded again here."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amounts are Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"not an amount: {amount}")
    cents = amount * CENTS_PER_UNIT
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(cents)


def from_cents(cents: int | None) -> Decimal:
    """Integer cents to Decimal dollars with two places."""
    return (Decimal(int(cents or 0)) / CENTS_PER_UNIT).quantize(Decimal("0.01"))


def _time(value: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(value, dt.UTC) if value else None


def _date(value: int | None) -> dt.date | None:
    moment = _time(value)
    return moment.date() if moment else None


def _id(value: Any) -> str:
    """An id field that may have been expanded into its object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


# --- errors: mapped here, once -------------------------------------------------------------


def _error_fields(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    return body.get("error") or {}


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Translate the SDK's errors into the port's. The messages are Stripe's (they name
    objects by id and parameters by name, never card data or a client's name)."""
    try:
        yield
    except stripe.CardError as exc:
        err = _error_fields(exc)
        code = exc.code or err.get("code") or ""
        decline = err.get("decline_code") or ""
        if code == "invoice_payment_intent_requires_action" and not decline:
            decline = "authentication_required"
        raise CardError(exc.user_message or str(exc), code=code, decline_code=decline,
                        words=decline_words(code=code, decline_code=decline),
                        payment_intent_id=_id(err.get("payment_intent")),
                        charge_id=_id(err.get("charge")),
                        payment_method_id=_id(err.get("payment_method")),
                        status=exc.http_status or 402) from None
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        raise RetryableError(_message(exc), code=exc.code or "",
                             status=exc.http_status) from None
    except stripe.IdempotencyError as exc:
        raise IdempotencyConflict(_message(exc), code=exc.code or "idempotency_error",
                                  status=exc.http_status) from None
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        raise ConfigurationError(_message(exc), code=exc.code or "",
                                 status=exc.http_status) from None
    except stripe.InvalidRequestError as exc:
        param = exc.param or ""
        if exc.http_status == 409 or exc.code == "lock_timeout":
            raise RetryableError(_message(exc), code=exc.code or "", status=exc.http_status,
                                 param=param) from None
        cls = NotFoundError if exc.code == "resource_missing" and exc.http_status == 404 \
            else FinalError
        raise cls(_message(exc), code=exc.code or "", status=exc.http_status,
                  param=param) from None
    except stripe.StripeError as exc:
        status = exc.http_status
        cls = RetryableError if status is None or status >= 500 or status == 409 \
            else FinalError
        raise cls(_message(exc), code=exc.code or "", status=status) from None


def _message(exc: stripe.StripeError) -> str:
    return exc.user_message or str(exc) or type(exc).__name__


# --- one HTTP client per process and timeout ----------------------------------------------

_http_clients: dict[float, stripe.HTTPClient] = {}
_http_lock = threading.Lock()


def _http_client(timeout: float) -> stripe.HTTPClient:
    """The SDK's requests-based client with our timeout, shared: `payments_port()` makes an
    adapter per call, and a connection pool per call would defeat keep-alive."""
    with _http_lock:
        client = _http_clients.get(timeout)
        if client is None:
            client = _http_clients[timeout] = stripe.RequestsClient(timeout=timeout)
        return client


_sdk_clients: dict[tuple[str, str, int, float], stripe.StripeClient] = {}


def _sdk_client(api_key: str, api_base: str, max_network_retries: int,
                timeout: float) -> stripe.StripeClient:
    """The SDK's client for these settings, made once per process: building one costs a few
    milliseconds, and an adapter is made per `payments_port()` call (several per delivery).
    It keeps no per-request state (each call carries its own options), so it is shared."""
    key = (api_key, api_base, max_network_retries, timeout)
    with _http_lock:
        client = _sdk_clients.get(key)
    if client is None:
        base = {"api": api_base, "connect": api_base, "files": api_base} if api_base else {}
        client = stripe.StripeClient(
            api_key, stripe_version=API_VERSION, max_network_retries=max_network_retries,
            base_addresses=base, http_client=_http_client(timeout))
        with _http_lock:
            client = _sdk_clients.setdefault(key, client)
    return client


class StripePayments(PaymentsPort):
    def __init__(self, *, api_key: str, api_base: str = "", webhook_secret: str = "",
                 max_network_retries: int = 3, timeout: float = 30.0) -> None:
        self.webhook_secret = webhook_secret
        self.client = _sdk_client(api_key, api_base, max_network_retries, float(timeout))
        self.v1 = self.client.v1

    @staticmethod
    def _on(account_id: str, key: str = "") -> dict[str, str]:
        """Request options: the connected account, and the idempotency key of a POST."""
        opts = {"stripe_account": account_id} if account_id else {}
        if key:
            opts["idempotency_key"] = key
        return opts

    # --- shapes -------------------------------------------------------------------------------
    @staticmethod
    def _account(obj: Any) -> Account:
        a = obj.to_dict()
        if a.get("deleted"):
            return Account(id=a["id"], charges_enabled=False, payouts_enabled=False,
                           details_submitted=False, deleted=True, raw=a)
        req = a.get("requirements") or {}
        reasons = {e.get("requirement"): e.get("reason") or ""
                   for e in req.get("errors") or []}
        return Account(
            id=a["id"], charges_enabled=bool(a.get("charges_enabled")),
            payouts_enabled=bool(a.get("payouts_enabled")),
            details_submitted=bool(a.get("details_submitted")),
            business_name=(a.get("business_profile") or {}).get("name") or "",
            email=a.get("email") or "",
            currently_due=tuple(Requirement(f, reasons.get(f, ""))
                                for f in req.get("currently_due") or []),
            past_due=tuple(Requirement(f, reasons.get(f, ""))
                           for f in req.get("past_due") or []),
            pending_verification=tuple(req.get("pending_verification") or []),
            disabled_reason=req.get("disabled_reason") or "",
            created=_time(a.get("created")), raw=a)

    @staticmethod
    def _customer(obj: Any) -> Customer:
        c = obj.to_dict()
        if c.get("deleted"):
            return Customer(id=c["id"], deleted=True)
        return Customer(id=c["id"], email=c.get("email") or "", name=c.get("name") or "",
                        default_payment_method=_id((c.get("invoice_settings") or {})
                                                   .get("default_payment_method")),
                        metadata=dict(c.get("metadata") or {}))

    @staticmethod
    def _card(obj: Any) -> Card:
        pm = obj if isinstance(obj, dict) else obj.to_dict()
        card = pm.get("card") or {}
        return Card(id=pm["id"], brand=card.get("brand") or "", last4=card.get("last4") or "",
                    exp_month=int(card.get("exp_month") or 0),
                    exp_year=int(card.get("exp_year") or 0),
                    customer_id=_id(pm.get("customer")),
                    fingerprint=card.get("fingerprint") or "")

    @staticmethod
    def _session(obj: Any) -> SetupSession:
        s = obj.to_dict()
        si = s.get("setup_intent")
        pm = _id(si.get("payment_method")) if isinstance(si, dict) else ""
        return SetupSession(id=s["id"], url=s.get("url") or "", status=s.get("status") or "",
                            customer_id=_id(s.get("customer")),
                            expires_at=_time(s.get("expires_at")) or dt.datetime.now(dt.UTC),
                            setup_intent_id=_id(si), payment_method_id=pm,
                            metadata=dict(s.get("metadata") or {}))

    def _invoice(self, obj: Any, account_id: str) -> RemoteInvoice:
        inv = obj.to_dict()
        pi_id = charge_id = ""
        pi: Any = None
        payments = inv.get("payments")
        if isinstance(payments, dict):
            for p in payments.get("data") or []:
                payment = p.get("payment") or {}
                if p.get("status") == "paid" and payment.get("type") == "payment_intent":
                    pi = payment.get("payment_intent")
                    pi_id = _id(pi)
        if pi_id and not isinstance(pi, dict):  # not expanded (an event's payload): ask
            with _errors():
                pi = self.v1.payment_intents.retrieve(pi_id, None,
                                                      self._on(account_id)).to_dict()
        if pi_id:
            charge_id = _id(pi.get("latest_charge"))
        transitions = inv.get("status_transitions") or {}
        return RemoteInvoice(
            id=inv["id"], status=inv.get("status") or "", currency=inv.get("currency") or "",
            total=from_cents(inv.get("total")), amount_paid=from_cents(inv.get("amount_paid")),
            amount_remaining=from_cents(inv.get("amount_remaining")),
            number=inv.get("number") or "", hosted_invoice_url=inv.get("hosted_invoice_url")
            or "", invoice_pdf=inv.get("invoice_pdf") or "", due_date=_date(inv.get(
                "due_date")), payment_intent_id=pi_id, charge_id=charge_id,
            paid_at=_time(transitions.get("paid_at")), metadata=dict(inv.get("metadata") or {}))

    @staticmethod
    def _paid_for(charge: dict) -> tuple[str, dict[str, str]]:
        """(Stripe invoice id, our metadata) of a charge: the metadata of its expanded
        PaymentIntent, where `invoice_pay` put them, else the charge's own."""
        pi = charge.get("payment_intent")
        meta = dict((pi.get("metadata") if isinstance(pi, dict) else None)
                    or charge.get("metadata") or {})
        return meta.pop(INVOICE_KEY, ""), meta

    def _charge(self, obj: Any) -> Charge:
        ch = obj if isinstance(obj, dict) else obj.to_dict()
        txn = ch.get("balance_transaction")
        card = (ch.get("payment_method_details") or {}).get("card") or {}
        invoice_id, metadata = self._paid_for(ch)
        return Charge(id=ch["id"], amount=from_cents(ch.get("amount")),
                      currency=ch.get("currency") or "", status=ch.get("status") or "",
                      amount_refunded=from_cents(ch.get("amount_refunded")),
                      fee=from_cents(txn.get("fee")) if isinstance(txn, dict)
                      else Decimal("0.00"),
                      payment_intent_id=_id(ch.get("payment_intent")), invoice_id=invoice_id,
                      payment_method_id=_id(ch.get("payment_method")),
                      card_brand=card.get("brand") or "", card_last4=card.get("last4") or "",
                      receipt_url=ch.get("receipt_url") or "", created=_time(ch.get("created")),
                      metadata=metadata)

    @staticmethod
    def _refund(obj: Any) -> Refund:
        r = obj.to_dict()
        return Refund(id=r["id"], amount=from_cents(r.get("amount")),
                      currency=r.get("currency") or "", status=r.get("status") or "",
                      charge_id=_id(r.get("charge")))

    @staticmethod
    def _payout(obj: Any) -> Payout:
        p = obj if isinstance(obj, dict) else obj.to_dict()
        dest = p.get("destination")
        return Payout(id=p["id"], amount=from_cents(p.get("amount")),
                      currency=p.get("currency") or "", status=p.get("status") or "",
                      arrival_date=_date(p.get("arrival_date")) or dt.date.today(),
                      created=_time(p.get("created")) or dt.datetime.now(dt.UTC),
                      bank_last4=dest.get("last4") or "" if isinstance(dest, dict) else "")

    def _txn(self, obj: Any) -> BalanceTransaction:
        t = obj if isinstance(obj, dict) else obj.to_dict()
        source = t.get("source")
        src = source if isinstance(source, dict) else {}
        is_charge = src.get("object") == "charge"
        invoice_id, metadata = self._paid_for(src) if is_charge else ("", {})
        return BalanceTransaction(
            id=t["id"], type=t.get("type") or "", amount=from_cents(t.get("amount")),
            fee=from_cents(t.get("fee")), net=from_cents(t.get("net")),
            currency=t.get("currency") or "", created=_time(t.get("created"))
            or dt.datetime.now(dt.UTC), source_id=_id(source),
            description=t.get("description") or "",
            payment_intent_id=_id(src.get("payment_intent")) if is_charge else "",
            invoice_id=invoice_id, metadata=metadata)

    @staticmethod
    def _event(raw: dict[str, Any]) -> Event:
        data = raw.get("data") or {}
        return Event(id=raw["id"], type=raw["type"], account_id=raw.get("account") or "",
                     created=_time(raw.get("created")) or dt.datetime.now(dt.UTC),
                     object=data.get("object") or {},
                     previous_attributes=data.get("previous_attributes") or {},
                     livemode=bool(raw.get("livemode")), raw=raw)

    # --- accounts -----------------------------------------------------------------------------
    def account_create(self, *, email: str, business_name: str, metadata: dict[str, str],
                       idempotency_key: str) -> Account:
        params: dict[str, Any] = {
            "type": "express", "country": "US", "email": email,
            "capabilities": {"card_payments": {"requested": True},
                             "transfers": {"requested": True}},
            "business_profile": {"name": business_name}, "metadata": dict(metadata)}
        with _errors():
            obj = self.v1.accounts.create(params, {"idempotency_key": idempotency_key})
        return self._account(obj)

    def account_get(self, *, account_id: str) -> Account:
        with _errors():
            return self._account(self.v1.accounts.retrieve(account_id))

    def account_find(self, *, metadata_key: str, metadata_value: str) -> Account | None:
        with _errors():
            for acct in self.v1.accounts.list({"limit": 100}).auto_paging_iter():
                if (acct.to_dict().get("metadata") or {}).get(metadata_key) == metadata_value:
                    return self._account(acct)
        return None

    def account_link_create(self, *, account_id: str, kind: str, return_url: str,
                            refresh_url: str, idempotency_key: str) -> AccountLink:
        if kind not in LINK_KINDS:
            raise FinalError(f"Invalid type: {kind}", code="parameter_invalid", status=400,
                             param="type")
        with _errors():
            link = self.v1.account_links.create(
                {"account": account_id, "type": LINK_KINDS[kind], "return_url": return_url,
                 "refresh_url": refresh_url}, {"idempotency_key": idempotency_key})
        return AccountLink(url=link.url, expires_at=_time(link.expires_at)
                           or dt.datetime.now(dt.UTC))

    # --- customers and cards ------------------------------------------------------------------
    def customer_create(self, *, account_id: str, email: str, name: str,
                        metadata: dict[str, str], idempotency_key: str) -> Customer:
        with _errors():
            obj = self.v1.customers.create(
                {"email": email, "name": name, "metadata": dict(metadata)},
                self._on(account_id, idempotency_key))
        return self._customer(obj)

    def customer_get(self, *, account_id: str, customer_id: str) -> Customer:
        with _errors():
            return self._customer(self.v1.customers.retrieve(customer_id, None,
                                                             self._on(account_id)))

    def customer_find(self, *, account_id: str, email: str, metadata_key: str,
                      metadata_value: str) -> Customer | None:
        with _errors():
            found = self.v1.customers.list({"email": email, "limit": 100},
                                           self._on(account_id))
            for cus in found.auto_paging_iter():
                c = self._customer(cus)
                if not c.deleted and c.metadata.get(metadata_key) == metadata_value:
                    return c
        return None

    def customer_default_card_set(self, *, account_id: str, customer_id: str,
                                  payment_method_id: str, idempotency_key: str) -> Customer:
        with _errors():
            obj = self.v1.customers.update(
                customer_id, {"invoice_settings": {"default_payment_method": payment_method_id}},
                self._on(account_id, idempotency_key))
        return self._customer(obj)

    def setup_session_create(self, *, account_id: str, customer_id: str, success_url: str,
                             cancel_url: str, metadata: dict[str, str],
                             idempotency_key: str) -> SetupSession:
        with _errors():
            obj = self.v1.checkout.sessions.create(
                {"mode": "setup", "payment_method_types": ["card"], "customer": customer_id,
                 "success_url": success_url, "cancel_url": cancel_url,
                 "metadata": dict(metadata),
                 "setup_intent_data": {"metadata": dict(metadata)}},
                self._on(account_id, idempotency_key))
        return self._session(obj)

    def setup_session_get(self, *, account_id: str, session_id: str) -> SetupSession:
        with _errors():
            obj = self.v1.checkout.sessions.retrieve(session_id, {"expand": ["setup_intent"]},
                                                     self._on(account_id))
        return self._session(obj)

    def card_get(self, *, account_id: str, payment_method_id: str) -> Card:
        with _errors():
            return self._card(self.v1.payment_methods.retrieve(payment_method_id, None,
                                                               self._on(account_id)))

    def card_list(self, *, account_id: str, customer_id: str) -> list[Card]:
        with _errors():
            found = self.v1.customers.payment_methods.list(
                customer_id, {"type": "card", "limit": 100}, self._on(account_id))
            return [self._card(pm) for pm in found.auto_paging_iter()]

    def card_detach(self, *, account_id: str, payment_method_id: str,
                    idempotency_key: str) -> None:
        with _errors():
            self.v1.payment_methods.detach(payment_method_id, None,
                                           self._on(account_id, idempotency_key))

    # --- invoices, charges, refunds -----------------------------------------------------------
    def invoice_create(self, *, account_id: str, customer_id: str, lines: list[InvoiceLine],
                       currency: str, days_until_due: int, metadata: dict[str, str],
                       idempotency_key: str) -> RemoteInvoice:
        cents = [to_cents(line.amount) for line in lines]  # refuse before anything is made
        opts = self._on(account_id)
        with _errors():
            inv = self.v1.invoices.create(
                {"customer": customer_id, "currency": currency,
                 "collection_method": "send_invoice", "days_until_due": days_until_due,
                 "auto_advance": False, "pending_invoice_items_behavior": "exclude",
                 "metadata": dict(metadata)}, {**opts, "idempotency_key": idempotency_key})
            for i, (line, amount) in enumerate(zip(lines, cents, strict=True)):
                self.v1.invoice_items.create(
                    {"customer": customer_id, "invoice": inv.id, "amount": amount,
                     "currency": currency, "description": line.description,
                     "metadata": dict(line.metadata)},
                    {**opts, "idempotency_key": f"{idempotency_key}-line-{i}"})
        # No read of the invoice after its items (a call per invoice saved): the draft as
        # created, with the totals its items make. Ours carry no tax, discount or other
        # pending item (`pending_invoice_items_behavior=exclude`), so Stripe's total is
        # the sum of the lines; finalize answers Stripe's own figures next.
        total = from_cents(sum(cents))
        return dataclasses.replace(self._invoice(inv, account_id), total=total,
                                   amount_remaining=total, amount_paid=Decimal("0.00"))

    def invoice_get(self, *, account_id: str, invoice_id: str) -> RemoteInvoice:
        with _errors():
            obj = self.v1.invoices.retrieve(invoice_id, {"expand": INVOICE_EXPAND},
                                            self._on(account_id))
        return self._invoice(obj, account_id)

    def _invoice_post(self, account_id: str, invoice_id: str, call: Any,
                      params: dict[str, Any] | None, key: str) -> RemoteInvoice:
        with _errors():
            obj = call(invoice_id, {**(params or {}), "expand": INVOICE_EXPAND},
                       self._on(account_id, key))
        return self._invoice(obj, account_id)

    def invoice_finalize(self, *, account_id: str, invoice_id: str,
                         idempotency_key: str) -> RemoteInvoice:
        return self._invoice_post(account_id, invoice_id, self.v1.invoices.finalize_invoice,
                                  {"auto_advance": False}, idempotency_key)

    def invoice_pay(self, *, account_id: str, invoice_id: str, payment_method_id: str,
                    idempotency_key: str) -> RemoteInvoice:
        inv = self._invoice_post(account_id, invoice_id, self.v1.invoices.pay,
                                 {"payment_method": payment_method_id, "off_session": True},
                                 idempotency_key)
        if inv.payment_intent_id:
            self._label_payment(account_id, inv, f"{idempotency_key}-label")
        return inv

    def _label_payment(self, account_id: str, inv: RemoteInvoice, key: str) -> None:
        """Copy the invoice's metadata and id onto its PaymentIntent, so its charge and payout
        line say which invoice they paid. The money has moved by now: a failure here must not
        look like a failed payment, so it is logged (ids only) and the line stays unlabelled."""
        try:
            with _errors():
                self.v1.payment_intents.update(
                    inv.payment_intent_id,
                    {"metadata": {**inv.metadata, INVOICE_KEY: inv.id}},
                    self._on(account_id, key))
        except PaymentsError as exc:
            log.warning("could not label payment %s of invoice %s on %s: %s",
                        inv.payment_intent_id, inv.id, account_id, exc.code or exc.status)

    def invoice_pay_out_of_band(self, *, account_id: str, invoice_id: str,
                                idempotency_key: str) -> RemoteInvoice:
        return self._invoice_post(account_id, invoice_id, self.v1.invoices.pay,
                                  {"paid_out_of_band": True}, idempotency_key)

    def invoice_void(self, *, account_id: str, invoice_id: str,
                     idempotency_key: str) -> RemoteInvoice:
        return self._invoice_post(account_id, invoice_id, self.v1.invoices.void_invoice, None,
                                  idempotency_key)

    def invoice_mark_uncollectible(self, *, account_id: str, invoice_id: str,
                                   idempotency_key: str) -> RemoteInvoice:
        return self._invoice_post(account_id, invoice_id,
                                  self.v1.invoices.mark_uncollectible, None, idempotency_key)

    def charge_get(self, *, account_id: str, charge_id: str) -> Charge:
        with _errors():
            return self._charge(self.v1.charges.retrieve(
                charge_id, {"expand": ["balance_transaction", "payment_intent"]},
                self._on(account_id)))

    def refund_create(self, *, account_id: str, charge_id: str, amount: Decimal,
                      idempotency_key: str) -> Refund:
        cents = to_cents(amount)
        with _errors():
            obj = self.v1.refunds.create({"charge": charge_id, "amount": cents},
                                         self._on(account_id, idempotency_key))
        return self._refund(obj)

    def refund_list(self, *, account_id: str, charge_id: str) -> list[Refund]:
        with _errors():
            # a charge has few refunds: Stripe's 100 a page is all of them
            listing = self.v1.refunds.list({"charge": charge_id, "limit": 100},
                                           self._on(account_id))
        return [self._refund(r) for r in listing.data]

    # --- payouts ------------------------------------------------------------------------------
    def payout_list(self, *, account_id: str, limit: int = 20,
                    starting_after: str = "") -> Page[Payout]:
        params: dict[str, Any] = {"limit": limit, "expand": ["data.destination"]}
        if starting_after:
            params["starting_after"] = starting_after
        with _errors():
            page = self.v1.payouts.list(params, self._on(account_id)).to_dict()
        return Page(items=[self._payout(p) for p in page.get("data") or []],
                    has_more=bool(page.get("has_more")))

    def payout_get(self, *, account_id: str, payout_id: str) -> Payout:
        with _errors():
            obj = self.v1.payouts.retrieve(payout_id, {"expand": ["destination"]},
                                           self._on(account_id))
        return self._payout(obj.to_dict())

    def payout_transactions(self, *, account_id: str,
                            payout_id: str) -> list[BalanceTransaction]:
        with _errors():
            found = self.v1.balance_transactions.list(
                {"payout": payout_id, "limit": 100,
                 "expand": ["data.source.payment_intent"]},
                self._on(account_id))
            return [self._txn(t) for t in found.auto_paging_iter()]

    # --- webhooks -----------------------------------------------------------------------------
    def event_parse(self, *, payload: bytes, signature: str) -> Event:
        try:
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret,
                                                   tolerance=WEBHOOK_TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError as exc:
            raise SignatureInvalid(str(exc) or "The Stripe-Signature does not verify.",
                                   status=400) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise SignatureInvalid(f"The payload is not a Stripe event: {exc}",
                                   status=400) from None
        try:
            return self._event(event.to_dict())
        except (KeyError, TypeError) as exc:
            raise SignatureInvalid(f"The payload is not a Stripe event: {exc}",
                                   status=400) from None

    def event_get(self, *, account_id: str, event_id: str) -> Event:
        with _errors():
            obj = self.v1.events.retrieve(event_id, None, self._on(account_id))
        return self._event(obj.to_dict())
