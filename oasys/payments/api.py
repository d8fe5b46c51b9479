"""REST API for payments, mounted at /api/v1: the practice's Stripe account
(`/payments/account…`) and clients' cards on file (`/clients/{id}/payment-method…`). Same
services (writes) and selectors (reads) as the screens; every lookup is scoped to the caller's
practice, so another practice's id answers 404."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from oasys.clients.models import Client
from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list
from oasys.core.api import ErrorsOut
from oasys.core.audit import AuditContext
from oasys.core.permissions import ALL_ROLES, BILLING_ROLES, require_roles

from .card_selectors import client_card_get
from .cards import card_remove, card_request_create

router = Router(tags=["payments"])


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
def payment_method_get(request: HttpRequest, client_id: int) -> dict:
    """The client's default card, masked as Stripe shows it, and the autopay consent time;
    `card` is null when there is none. Every role may read it (as on the screen)."""
    require_roles(request, ALL_ROLES)
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
def payment_method_delete(request: HttpRequest, client_id: int):
    """Detach the card on Stripe and forget it (404 when the client has none)."""
    require_roles(request, BILLING_ROLES)
    client = _card_client(request, client_id)
    card_remove(client=client, ctx=AuditContext.from_request(request), user=request.user)
    return 204, None


@router.post("/clients/{client_id}/payment-method/request",
             response={201: CardRequestOut, 409: ErrorsOut, 422: ErrorsOut})
def payment_method_request(request: HttpRequest, client_id: int,
                           payload: CardRequestIn | None = None):
    """Email the client a link to save a card (422 without an email address, 409 when the
    practice cannot take cards)."""
    require_roles(request, BILLING_ROLES)
    client = _card_client(request, client_id)
    card_request = card_request_create(
        client=client, ctx=AuditContext.from_request(request), user=request.user,
        send_email=True,
        charge_open_invoices=bool(payload and payload.charge_open_invoices))
    return 201, {"request_id": card_request.pk, "expires_at": card_request.expires_at,
                 "emailed_to": card_request.emailed_to}
