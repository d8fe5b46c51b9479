"""The world of the invoices integration tests: a practice whose Stripe account is active on
the Stripe stand-in (a real process, reached through the product's Stripe adapter on the
official SDK), a cash-pay client, the mail sink (a real SMTP process), and the moves a
client or Stripe makes there: save a card on the hosted form, pay on the hosted invoice
page, the stand-in delivering signed webhooks to the product's endpoint on the live server.

Waits are on conditions with a deadline (never a fixed sleep): the live server announces
each finished request, and `wait_for` re-checks its condition then (and every quarter
second)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from oasys.clients.models import Client, Diagnosis
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_standalone
from oasys.payments.cards import card_request_create, card_request_open, card_saved_record
from oasys.payments.connection import payments_port
from oasys.payments.models import (
    AccountStatus,
    ClientPaymentProfile,
    PaymentAccount,
    StripeWebhookEvent,
    WebhookEventState,
)
from sandbox.mail.testing import MailSink
from sandbox.stripe.testing import StandIn

DEADLINE_SECONDS = 60
EXP_YEAR = dt.datetime.now(dt.UTC).year + 3
DIAGNOSIS = "F41.1"  # the client's; it must never reach an email

# Card numbers the stand-in's hosted forms take (sandbox/stripe/README.md).
CARD_OK = "4242 4242 4242 4242"
CARD_SAVES_THEN_DECLINES = "4000 0000 0000 0341"
CARD_NEEDS_AUTHENTICATION = "4000 0027 6000 3184"
CARD_DECLINED = "4000 0000 0000 0002"


class Requests:
    """Notified whenever the live server finishes a request."""

    def __init__(self) -> None:
        self.cond = threading.Condition()

    def finished(self, **_kw: Any) -> None:
        with self.cond:
            self.cond.notify_all()

    def wait_for(self, condition: Callable[[], bool], what: str,
                 timeout: float = DEADLINE_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
                self.cond.wait(timeout=min(left, 0.25))


def fill_card_form(url: str, number: str) -> httpx.Response:
    """What the client types on one of the stand-in's hosted card forms."""
    return httpx.post(url, data={"cardnumber": number, "expiry": f"12 / {EXP_YEAR % 100:02d}",
                                 "cvc": "123", "name": "Maria Lopez", "postal": "60614"},
                      timeout=30)


@dataclasses.dataclass
class InvoiceWorld:
    standin: StandIn
    sink: MailSink
    practice: Practice
    owner: User
    account: PaymentAccount
    client: Client
    ctx: AuditContext
    settings: Any
    requests: Requests | None = None

    @classmethod
    def build(cls, *, standin: StandIn, sink: MailSink, practice: Practice, owner: User,
              settings: Any) -> InvoiceWorld:
        # Links to our own pages (card links) name a server nothing listens on unless a test
        # starts the live server (webhooks_to_live_server then points them there).
        settings.OASYS_BASE_URL = "http://127.0.0.1:9"
        acct = payments_port().account_create(
            email=f"owner@{practice.slug}.example", business_name=practice.name,
            metadata={"oasys_practice_id": str(practice.pk)},
            idempotency_key=f"test-account-{practice.pk}")
        standin.control(f"accounts/{acct.id}", {"state": "active"})
        account = PaymentAccount.objects.create(
            practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
            charges_enabled=True, payouts_enabled=True, details_submitted=True,
            business_name=practice.name)
        client = Client.objects.create(practice=practice, first_name="Maria",
                                       last_name="Lopez", email="maria@example.com",
                                       billing_type="cash", date_of_birth=dt.date(1985, 4, 12))
        Diagnosis.objects.create(practice=practice, client=client, position=1, code=DIAGNOSIS)
        ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
        return cls(standin=standin, sink=sink, practice=practice, owner=owner, account=account,
                   client=client, ctx=ctx, settings=settings)

    # --- Stripe's side ------------------------------------------------------------------------
    @property
    def on_account(self) -> dict[str, str]:
        return {"stripe_account": self.account.stripe_account_id}

    def sdk(self):
        return self.standin.client()

    def remote(self, invoice: Invoice):
        """Stripe's copy of the invoice, read with the SDK (not through the product)."""
        invoice.refresh_from_db()
        assert invoice.stripe_invoice_id, f"invoice {invoice.number} has no Stripe copy"
        return self.sdk().v1.invoices.retrieve(invoice.stripe_invoice_id,
                                               options=self.on_account)

    def save_card(self, number: str = CARD_OK, *, consent: bool = True
                  ) -> ClientPaymentProfile:
        """The client saves `number` on the stand-in's hosted card form (with the autopay
        authorization ticked) and the product records it, as its return page does."""
        req = card_request_create(client=self.client, ctx=self.ctx, send_email=False)
        session = card_request_open(token=req.token, consent=consent)
        resp = fill_card_form(session.url, number)
        assert resp.status_code == 303, resp.text[:500]
        return card_saved_record(account=self.account, session_id=session.id, ctx=self.ctx)

    def pay_on_hosted_page(self, invoice: Invoice, number: str = CARD_OK) -> httpx.Response:
        """The client opens the emailed link and pays with `number` on the stand-in's hosted
        invoice page (the product hears of it by webhook only)."""
        invoice.refresh_from_db()
        page = httpx.get(invoice.hosted_invoice_url, timeout=30)
        assert page.status_code == 200, page.text[:300]
        return fill_card_form(invoice.hosted_invoice_url, number)

    def webhooks_to_live_server(self, live_server, requests: Requests,
                                events: tuple[str, ...] = ("*",)) -> str:
        """Register the product's endpoint (the live server's /webhooks/stripe) with the
        stand-in as a Connect endpoint, as in Stripe's dashboard; answers its secret."""
        endpoint = self.sdk().v1.webhook_endpoints.create({
            "url": f"{live_server.url}/webhooks/stripe", "connect": True,
            "enabled_events": list(events)})
        self.settings.STRIPE_WEBHOOK_SECRET = endpoint.secret
        self.settings.OASYS_BASE_URL = live_server.url
        self.requests = requests
        return endpoint.secret

    def webhooks_hold(self) -> None:
        """From now on the stand-in holds every event until `webhooks_release`. (With SQLite
        the live server shares the test's connection: the product must not be handling a
        webhook while the test thread writes, so deliveries happen only when released.)"""
        self.standin.control("webhooks/faults", {"mode": "delay", "count": 100000,
                                                 "seconds": 10 ** 7})

    def webhooks_release(self) -> None:
        """Deliver everything held, in order, and wait until the stand-in is done (each
        delivery is processed by the time its answer comes back). New events stay held."""
        self.standin.control("webhooks/flush")
        self.wait_for(self.deliveries_settled, "the stand-in's deliveries settled")

    def held_event_ids(self) -> list[str]:
        """The events the stand-in holds, oldest first, each once."""
        return list(dict.fromkeys(d["event_id"] for d in self.standin.deliveries()
                                  if d["state"] == "held"))

    def deliveries_settled(self) -> bool:
        return all(d["state"] in ("delivered", "failed", "dropped")
                   for d in self.standin.deliveries())

    def events_of(self, invoice: Invoice, *types: str) -> list[str]:
        """Ids of the stand-in's events about this invoice's Stripe copy, newest first."""
        invoice.refresh_from_db()
        listing = self.sdk().v1.events.list({"limit": 100}, options=self.on_account)
        return [e.id for e in listing.data
                if (not types or e.type in types)
                and (e.data.object.get("id") == invoice.stripe_invoice_id
                     or e.data.object.get("invoice") == invoice.stripe_invoice_id)]

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        assert self.requests is not None, "webhooks_to_live_server first"
        self.requests.wait_for(condition, what)

    def wait_processed(self, event_ids: list[str]) -> None:
        """Until every one of these events was received and processed (or ignored)."""
        done = (WebhookEventState.PROCESSED, WebhookEventState.IGNORED)

        def all_done() -> bool:
            return StripeWebhookEvent.objects.filter(event_id__in=event_ids,
                                                     state__in=done).count() == len(event_ids)

        self.wait_for(all_done, f"events {event_ids} processed")

    # --- our side -----------------------------------------------------------------------------
    def standalone(self, *amounts: str, client: Client | None = None) -> Invoice:
        """A Draft standalone invoice with one line per amount."""
        today = dt.date.today().isoformat()
        lines = [{"description": f"Late cancellation fee {n + 1}", "date": today,
                  "amount": a} for n, a in enumerate(amounts or ("120.00",))]
        return invoice_create_standalone(practice=self.practice,
                                         client_id=(client or self.client).pk, lines=lines,
                                         ctx=self.ctx, actor=self.owner)

    def mail_to_client(self, subject: str = "") -> list[dict[str, Any]]:
        """What reached the client at the sink (newest first), each with its bodies."""
        filters = {"to": self.client.email, **({"subject": subject} if subject else {})}
        return [self.sink.message(m["id"]) for m in self.sink.messages(**filters)]


def dollars(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
