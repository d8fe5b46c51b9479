"""REST API for payments, mounted at /api/v1: the practice's Stripe account
(`/payments/account…`), its payouts (`/payments/payouts…`) and clients' cards on file
(`/clients/{id}/payment-method…`). Same services (writes) and selectors (reads) as the
screens; every lookup is scoped to the caller's practice, so another practice's id answers
404. Stripe's errors answer in the one error shape as 409: Stripe could not be reached
(nothing changed; try again) or Stripe refused."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Body, Router, Schema

from oasys.clients.models import Client
from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list
from oasys.core.api import ErrorsOut, PageOut, optional_body_checked, page_body
from oasys.core.audit import AuditContext
from oasys.core.errors import InvalidInput
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from . import selectors, services
from .card_selectors import client_card_get
from .cards import card_remove, card_request_create
from .models import AccountStatus, PaymentAccount
from .port import BalanceTransaction, Payout

router = Router(tags=["payments"])

# --- the practice's Stripe account ------------------------------------------------------------


class RequirementOut(Schema):
    field: str
    description: str


class AccountOut(Schema):
    status: str  # not_connected | onboarding | restricted | active | disconnected
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements: list[RequirementOut]
    disabled_reason: str
    disabled_reason_description: str
    pending_verification: list[str]
    business_name: str
    stripe_account_id: str
    synced_at: dt.datetime | None


class LinkIn(Schema):
    return_url: str = ""
    refresh_url: str = ""


class LinkOut(Schema):
    url: str


def _account_out(account: PaymentAccount | None) -> dict:
    if account is None:
        return {"status": AccountStatus.NOT_CONNECTED.value, "charges_enabled": False,
                "payouts_enabled": False, "details_submitted": False, "requirements": [],
                "disabled_reason": "", "disabled_reason_description": "",
                "pending_verification": [], "business_name": "", "stripe_account_id": "",
                "synced_at": None}
    return {
        "status": account.status,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "details_submitted": account.details_submitted,
        "requirements": [{"field": r.field, "description": r.description}
                         for r in selectors.account_requirements_words(account)],
        "disabled_reason": account.disabled_reason,
        "disabled_reason_description": selectors.disabled_reason_words(account.disabled_reason),
        "pending_verification": list(account.pending_verification or []),
        "business_name": account.business_name,
        "stripe_account_id": account.stripe_account_id,
        "synced_at": account.synced_at,
    }


def _link_urls(request: HttpRequest, payload: LinkIn | None) -> tuple[str, str]:
    """The caller's return/refresh URLs (absolute http(s)), or the screen's."""
    out = []
    for name, default in (("return_url", "payments:processing_return"),
                          ("refresh_url", "payments:processing_refresh")):
        given = (getattr(payload, name, "") or "").strip() if payload is not None else ""
        if given and (not given.startswith(("https://", "http://")) or len(given) > 2000):
            raise InvalidInput({name: "Give an absolute http(s) URL."})
        out.append(given or request.build_absolute_uri(reverse(default)))
    return out[0], out[1]


@router.get("/payments/account", response=AccountOut)
@api_permission("practice.view")
def account_get(request: HttpRequest) -> dict:
    """The practice's Stripe account as last fetched from Stripe ("not_connected" before
    the first Connect)."""
    return _account_out(selectors.payment_account_get(practice=request.practice))


@router.post("/payments/account/onboarding-link",
             response={200: LinkOut, 403: ErrorsOut, 409: ErrorsOut, 422: ErrorsOut})
@api_permission("payments.setup")
def account_onboarding_link(request: HttpRequest, payload: LinkIn | None = Body(None)) -> dict:  # noqa: B008
    """Owner only. Connects the practice's Stripe account if it is not connected (creating
    it once), then answers a fresh Stripe-hosted onboarding (or update) link. Links are
    single use and expire within minutes: ask for a new one each time."""
    optional_body_checked(request)
    return_url, refresh_url = _link_urls(request, payload)
    url = services.account_connect(practice=request.practice, user=request.user,
                                   ctx=AuditContext.from_request(request),
                                   return_url=return_url, refresh_url=refresh_url)
    return {"url": url}


@router.post("/payments/account/refresh", response={200: AccountOut,
                                                    409: ErrorsOut})
@api_permission("practice.settings")
def account_refresh(request: HttpRequest) -> dict:
    """Ask Stripe for the account now and answer it (webhooks do this by themselves)."""
    account = selectors.payment_account_get(practice=request.practice)
    if account is not None:
        account = services.account_sync(account=account, ctx=AuditContext.from_request(request),
                                        source="api refresh")
    return _account_out(account)


@router.post("/payments/account/disconnect",
             response={200: AccountOut, 403: ErrorsOut, 409: ErrorsOut})
@api_permission("payments.setup")
def account_disconnect(request: HttpRequest) -> dict:
    """Owner only. Stop using the Stripe account (it is not deleted at Stripe)."""
    account = services.account_disconnect(practice=request.practice, user=request.user,
                                          ctx=AuditContext.from_request(request),
                                          source="api")
    return _account_out(account)


# --- payouts ---------------------------------------------------------------------------------


class PayoutOut(Schema):
    id: str
    amount: str
    currency: str
    status: str
    arrival_date: dt.date
    created: dt.datetime
    bank_last4: str


class PayoutListOut(PageOut):
    items: list[PayoutOut]


class PayoutTransactionOut(Schema):
    id: str
    type: str
    description: str
    amount: str
    fee: str
    net: str
    currency: str
    created: dt.datetime
    source_id: str
    payment_intent_id: str
    stripe_invoice_id: str
    invoice_id: int | None  # ours, when the payment was for an Oasys invoice
    invoice_number: str


class PayoutDetailOut(Schema):
    payout: PayoutOut
    gross: str
    fees: str
    net: str
    transactions: list[PayoutTransactionOut]


def _payout_out(p: Payout) -> dict:
    return {"id": p.id, "amount": money_str(p.amount), "currency": p.currency,
            "status": p.status, "arrival_date": p.arrival_date, "created": p.created,
            "bank_last4": p.bank_last4}


def _txn_out(line: selectors.PayoutLine) -> dict:
    t: BalanceTransaction = line.transaction
    return {"id": t.id, "type": t.type, "description": line.kind, "amount": money_str(t.amount),
            "fee": money_str(t.fee), "net": money_str(t.net), "currency": t.currency,
            "created": t.created, "source_id": t.source_id,
            "payment_intent_id": t.payment_intent_id, "stripe_invoice_id": t.invoice_id,
            "invoice_id": line.invoice_id, "invoice_number": line.invoice_number}


@router.get("/payments/payouts", response={200: PayoutListOut})
@api_permission("billing.work")
def payouts_list(request: HttpRequest, page: int = 1, page_size: int = 20) -> dict:
    """The Stripe account's payouts to the practice's bank, newest first (empty before
    Stripe is connected)."""
    rows = [_payout_out(p) for p in selectors.payout_list_all(practice=request.practice)]
    return page_body(rows, page=page, page_size=page_size)


@router.get("/payments/payouts/{payout_id}",
            response={200: PayoutDetailOut, 404: ErrorsOut})
@api_permission("billing.work")
def payout_get(request: HttpRequest, payout_id: str) -> dict:
    """A payout and its balance transactions (client payments: gross, fee, net, and the
    Oasys invoice each paid, when Stripe's metadata says)."""
    detail = selectors.payout_detail(practice=request.practice, payout_id=payout_id)
    return {"payout": _payout_out(detail.payout),
            "gross": money_str(detail.gross), "fees": money_str(detail.fees),
            "net": money_str(detail.net),
            "transactions": [_txn_out(line) for line in detail.lines]}


# --- cards: a client's card on file ----------------------------------------------------------


class CardOut(Schema):
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    saved_at: dt.datetime | None


class PaymentMethodOut(Schema):
    card: CardOut | None
    autopay_consent_at: dt.datetime | None


class CardRequestIn(Schema):
    charge_open_invoices: bool = False


class CardRequestOut(Schema):
    request_id: int
    expires_at: dt.datetime
    emailed_to: str


def _card_client(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=client_id)


@router.get("/clients/{client_id}/payment-method", response=PaymentMethodOut)
@api_permission("clients.billing")
def payment_method_get(request: HttpRequest, client_id: int) -> dict:
    """The client's default card, masked as Stripe shows it, and the autopay consent time;
    `card` is null when there is none. Every role may read it (as on the screen)."""
    client = _card_client(request, client_id)
    profile = client_card_get(client=client)
    phi_read(request, categories=["payment_method"], client_id=client.pk,
             object_type="ClientPaymentProfile", object_id=profile.pk if profile else "")
    if profile is None:
        return {"card": None, "autopay_consent_at": None}
    return {"card": {"brand": profile.card_brand, "last4": profile.card_last4,
                     "exp_month": profile.card_exp_month or 0,
                     "exp_year": profile.card_exp_year or 0,
                     "saved_at": profile.card_saved_at},
            "autopay_consent_at": profile.autopay_consent_at}


@router.delete("/clients/{client_id}/payment-method",
               response={204: None, 404: ErrorsOut, 409: ErrorsOut})
@api_permission("clients.billing")
def payment_method_delete(request: HttpRequest, client_id: int):
    """Detach the card on Stripe and forget it (404 when the client has none)."""
    client = _card_client(request, client_id)
    card_remove(client=client, ctx=AuditContext.from_request(request), user=request.user)
    return 204, None


@router.post("/clients/{client_id}/payment-method/request",
             response={201: CardRequestOut, 409: ErrorsOut, 422: ErrorsOut})
@api_permission("clients.billing")
def payment_method_request(request: HttpRequest, client_id: int,
                           payload: CardRequestIn | None = None):
    """Email the client a link to save a card (422 without an email address, 409 when the
    practice cannot take cards)."""
    optional_body_checked(request)
    client = _card_client(request, client_id)
    card_request = card_request_create(
        client=client, ctx=AuditContext.from_request(request), user=request.user,
        send_email=True,
        charge_open_invoices=bool(payload and payload.charge_open_invoices))
    return 201, {"request_id": card_request.pk, "expires_at": card_request.expires_at,
                 "emailed_to": card_request.emailed_to}
