"""Screens of clients' cards: the client's Card on file page (staff), and the login-free pages
a client reaches from a card link (`/pay/card/<token>/…`). Thin: parse, call a service or
selector, audit what is shown, render.

Who may do what: every role may see the masked card and the autopay consent (a clinician
with the client in the room can answer "is my card on file?"); only owners and billers,
who handle the practice's money, may remove a card or make a link."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clients.models import Client
from oasys.clients.phi import phi_read
from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext, audit_record, client_ip
from oasys.core.errors import Conflict, InvalidInput, NotFound
from oasys.core.feedback import refusals_as_messages
from oasys.core.models import AuditAction
from oasys.core.permissions import PUBLIC, declare, has_permission, practice_required

from .card_selectors import card_request_emails, card_request_list, client_card_get
from .cards import (
    autopay_consent_text,
    card_remove,
    card_request_cancel,
    card_request_create,
    card_request_get_by_token,
    card_request_open,
    card_request_refusal,
    card_saved_record,
    cards_unavailable_reason,
)
from .models import CardRequest, CardRequestStatus, ClientPaymentProfile, PaymentAccount
from .port import PaymentsError

BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express",
          "discover": "Discover", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}


def card_brand_label(brand: str) -> str:
    return BRANDS.get(brand, brand.title() or "Card")


def _client(request: HttpRequest, pk: int) -> Client:
    return get_object_or_404(client_list(practice=request.practice), pk=pk)


def _can_change(request: HttpRequest) -> bool:
    return has_permission(request.user, "clients.billing")


# --- staff: a client's card on file -----------------------------------------------------------


@require_GET
@practice_required("clients.billing")
def client_card(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    profile = client_card_get(client=client)
    emails = card_request_emails(client=client)
    requests = list(card_request_list(client=client)[:20])
    for card_request in requests:
        card_request.email = emails.get(card_request.pk)
    refusal = cards_unavailable_reason(practice=request.practice)
    # The card (masked) and the addresses links went to.
    phi_read(request, categories=["payment_method", "demographics"], client_id=client.pk,
             object_type="ClientPaymentProfile", object_id=profile.pk if profile else "")
    context = {
        "client": client, "tab": "card", "profile": profile, "requests": requests,
        "can_change": _can_change(request), "refusal": refusal,
        "link_days": settings.CARD_REQUEST_DAYS,
        "brand": card_brand_label(profile.card_brand) if profile else "",
        "expiry": f"{profile.card_exp_month:02d}/{profile.card_exp_year % 100:02d}"
        if profile and profile.card_exp_month and profile.card_exp_year else "—",
    }
    return render(request, "payments/card_on_file.html", context)


@require_POST
@practice_required("clients.billing")
def client_card_request(request: HttpRequest, pk: int) -> HttpResponse:
    """action=email: email the client a link; action=now: make a link without email and go
    to it (the client is in the room)."""
    client = _client(request, pk)
    in_person = request.POST.get("action") == "now"
    with refusals_as_messages(request) as done:
        card_request = card_request_create(
            client=client, ctx=AuditContext.from_request(request), user=request.user,
            send_email=not in_person,
            charge_open_invoices=request.POST.get("charge_open_invoices") == "yes")
    if not done:
        return redirect("payments:client_card", pk=client.pk)
    if in_person:
        return redirect("payments_public:card_link", token=card_request.token)
    messages.success(request, f"Emailed {client.email} a link to add a card.")
    return redirect("payments:client_card", pk=client.pk)


@require_POST
@practice_required("clients.billing")
def client_card_remove(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request, pk)
    with refusals_as_messages(request) as done:
        card_remove(client=client, ctx=AuditContext.from_request(request), user=request.user)
    if done:
        messages.success(request, "Card removed. Autopay is off until the client saves a "
                                  "new card.")
    return redirect("payments:client_card", pk=client.pk)


@require_POST
@practice_required("clients.billing")
def client_card_request_cancel(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    client = _client(request, pk)
    card_request = get_object_or_404(card_request_list(client=client), pk=request_pk)
    with refusals_as_messages(request) as done:
        card_request_cancel(card_request=card_request, ctx=AuditContext.from_request(request),
                            user=request.user)
    if done:
        messages.success(request, "Link cancelled: it no longer opens the card form.")
    return redirect("payments:client_card", pk=client.pk)


# --- public: the card link --------------------------------------------------------------------


def _link(token: str) -> CardRequest | None:
    try:
        return card_request_get_by_token(token=token)
    except NotFound:
        return None


def _public_ctx(request: HttpRequest, card_request: CardRequest) -> AuditContext:
    """Who acts on a public page: whoever holds the link, in the practice's audit chain."""
    return AuditContext(practice_id=card_request.practice_id, user_email="card link",
                        source_ip=client_ip(request))


def _public_read(request: HttpRequest, card_request: CardRequest, *categories: str) -> None:
    """The link's page disclosed the client's first name (and, once saved, the card)."""
    ctx = _public_ctx(request, card_request)
    for category in categories:
        audit_record(ctx=ctx, action=AuditAction.READ, category=category,
                     client_id=card_request.client_id, object_type="CardRequest",
                     object_id=card_request.pk)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/card_link_dead.html",
                  {"heading": "Link not found",
                   "message": "This link is not valid. Ask your practice for a new one."},
                  status=404)


def _dead(request: HttpRequest, card_request: CardRequest, message: str) -> HttpResponse:
    used = "already been used" in message
    return render(request, "payments/card_link_dead.html",
                  {"practice_name": card_request.practice.name,
                   "heading": "Card already saved" if used else "This link no longer works",
                   "message": message}, status=200 if used else 410)


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def card_link(request: HttpRequest, token: str) -> HttpResponse:
    """The client's page: what this is, the autopay authorization to tick, and the button
    to Stripe's card form. Shows only the client's first name and the practice's name."""
    card_request = _link(token)
    if card_request is None:
        return _not_found(request)
    refusal = card_request_refusal(card_request)
    error = consent_error = ""
    if request.method == "POST":
        try:
            session = card_request_open(token=token,
                                        consent=request.POST.get("consent") == "yes",
                                        source_ip=client_ip(request))
        except InvalidInput as exc:
            consent_error = exc.errors.get("consent", "") or exc.message
        except Conflict as exc:
            card_request.refresh_from_db()
            if card_request_refusal(card_request):
                return _dead(request, card_request, exc.message)
            error = exc.message  # the practice cannot take cards now, or Stripe is down
        else:
            return redirect(session.url)
    elif refusal:
        return _dead(request, card_request, refusal)
    _public_read(request, card_request, "demographics")
    return render(request, "payments/card_link.html", {
        "practice_name": card_request.practice.name,
        "first_name": card_request.client.first_name,
        "consent_text": autopay_consent_text(practice=card_request.practice),
        "expires_at": card_request.expires_at, "error": error, "consent_error": consent_error,
    }, status=422 if consent_error else 200)


@require_GET
@declare(PUBLIC)
def card_link_done(request: HttpRequest, token: str) -> HttpResponse:
    """Where Stripe's card form returns: record the card (the webhook may have already) and
    say which card was saved."""
    card_request = _link(token)
    if card_request is None:
        return _not_found(request)
    practice = card_request.practice
    context: dict = {"practice_name": practice.name, "profile": None, "message": "",
                     "retry_url": reverse("payments_public:card_link", args=[token])}
    if request.user.is_authenticated and getattr(request, "practice", None) == practice:
        context["staff_url"] = reverse("payments:client_card", args=[card_request.client_id])
    session_id = request.GET.get("session_id", "")
    account = PaymentAccount.objects.filter(practice=practice).first()
    profile: ClientPaymentProfile | None = None
    try:
        if not session_id and card_request.status == CardRequestStatus.COMPLETED:
            # A reload without Stripe's parameter: the card the link saved.
            profile = ClientPaymentProfile.objects.filter(
                practice=practice, client_id=card_request.client_id).first()
        elif account is None:
            raise NotFound("This practice has no Stripe account.")
        else:
            profile = card_saved_record(
                account=account, session_id=session_id, card_request=card_request,
                ctx=_public_ctx(request, card_request), source="card link return")
    except NotFound:
        return _not_found(request)
    except Conflict as exc:
        context["message"] = f"{exc.message} If you entered a card, it may take a minute " \
                             f"to show; otherwise use the card form again."
    except PaymentsError:
        context["message"] = "We could not confirm the card with Stripe just now. If the " \
                             "form said it was saved, it is: the practice will see it shortly."
        context["retry_url"] = ""
    if profile is not None and profile.has_card:
        context["profile"] = profile
        context["brand"] = card_brand_label(profile.card_brand)
        _public_read(request, card_request, "payment_method")
    elif profile is not None:
        context["message"] = "The card is no longer on file. Use the card form again."
    return render(request, "payments/card_link_done.html", context)
