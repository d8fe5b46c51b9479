"""Clients' cards on file: the client's Stripe customer on the practice's connected account,
the links that ask a client to save a card, recording the card Stripe saved, and removing it.

Cards are saved only on Stripe's hosted page (Checkout in setup mode): no card number ever
reaches this server. What we keep is what Stripe shows anyone (brand, last 4, expiry) and the
client's autopay authorization, word for word, with its time.

The flow: staff make a `CardRequest` (emailed, or opened at once with the client in the room);
the client opens our page `/pay/card/<token>/`, ticks the authorization and is sent to a fresh
Checkout session (`card_request_open`); Stripe returns them to `/pay/card/<token>/done/`, and
sends `checkout.session.completed`: both call `card_saved_record`, which trusts only the
session as Stripe has it now, so either may come first, twice, or late.

Every change is written to the audit log under the category "payment_method", with ids only.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.clients.models import Client
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput, NotFound
from oasys.core.models import AuditAction, Practice, SentEmail, User
from oasys.core.outbound_mail import email_send

from .card_machine import CARD_REQUEST_MACHINE
from .connection import payments_port
from .hooks import card_saved_notify
from .idempotency import idempotency_key, stripe_once
from .machine import PAYMENT_ACCOUNT_ACTIONS, PAYMENT_ACCOUNT_MACHINE
from .models import (
    AccountStatus,
    CardRequest,
    CardRequestStatus,
    ClientPaymentProfile,
    PaymentAccount,
)
from .port import Card, FinalError, NotFoundError, RetryableError, SetupSession

log = logging.getLogger(__name__)

CATEGORY = "payment_method"
# Our metadata on Stripe objects: ids only, so the practice's Stripe dashboard shows no PHI.
META_CLIENT = "oasys_client_id"
META_REQUEST = "oasys_card_request_id"
META_PRACTICE = "oasys_practice_id"

AUTOPAY_CONSENT = (
    "I authorize {practice} to keep this card on file with Stripe and to charge it for my "
    "sessions and for any balance I owe {practice}, when each invoice is due, until I tell "
    "{practice} to stop."
)

_CARD_CLEARED = {
    "card_payment_method_id": "", "card_brand": "", "card_last4": "", "card_exp_month": None,
    "card_exp_year": None, "card_saved_at": None, "autopay_consent_at": None,
    "autopay_consent_text": "",
}


def autopay_consent_text(*, practice: Practice) -> str:
    """The authorization a client ticks before the card form, as shown and as stored."""
    return AUTOPAY_CONSENT.format(practice=practice.name)


def card_link_url(*, card_request: CardRequest) -> str:
    return f"{settings.OASYS_BASE_URL}/pay/card/{card_request.token}/"


# --- helpers ------------------------------------------------------------------------------


def _account_for_cards(practice: Practice, account: PaymentAccount | None = None
                       ) -> PaymentAccount:
    """The practice's connected account, refused (the machine's "charge" refusal) unless it
    can take cards now. `account` is the practice's row when the caller has just read it
    (the delivery does): it is checked the same way, without reading it again."""
    if account is None:
        account = PaymentAccount.objects.filter(practice=practice).first()
    if account is None:
        raise Conflict(PAYMENT_ACCOUNT_ACTIONS["charge"].refusal.format(
            status=AccountStatus.NOT_CONNECTED.label))
    PAYMENT_ACCOUNT_MACHINE.require_action(account, "charge")
    if not account.stripe_account_id:  # active without an id would be a seeding bug
        raise Conflict("Payment processing has no Stripe account: connect Stripe in Billing "
                       "Setup → Payment Processing.")
    return account


def cards_unavailable_reason(*, practice: Practice,
                             account: PaymentAccount | None = None) -> str:
    """Why the practice cannot save clients' cards now, in words ("" when it can). `account`:
    the practice's row, when the caller has it already."""
    try:
        _account_for_cards(practice, account)
    except Conflict as exc:
        return exc.message
    return ""


@contextmanager
def _stripe_refusals() -> Iterator[None]:
    """Stripe's errors as the domain's, for the screens and the API: nothing was changed
    here, and the words say whether trying again can help."""
    try:
        yield
    except RetryableError as exc:
        log.warning("stripe unavailable: %s", exc.code or type(exc).__name__)
        raise Conflict("Stripe did not answer in time. Nothing was changed here; try again "
                       "in a minute.") from exc
    except FinalError as exc:
        raise Conflict(f"Stripe refused: {exc.message}") from exc


def _profile_get(client: Client) -> ClientPaymentProfile | None:
    return (ClientPaymentProfile.objects.select_related("account")
            .filter(practice_id=client.practice_id, client=client).first())


# --- the client's Stripe customer -------------------------------------------------------------


def client_payment_profile_ensure(*, client: Client, ctx: AuditContext,
                                  account: PaymentAccount | None = None
                                  ) -> ClientPaymentProfile:
    """The client's Stripe customer on the practice's account, created the first time it is
    needed and only once: the creation goes through the idempotency ledger (a retry reuses
    the customer, a lost key is looked up by our metadata), and two racing callers end with
    the one profile. The customer gets the client's name and email, nothing clinical.
    `account`: the practice's PaymentAccount when the caller has just read it (checked as
    if read here, not read again)."""
    existing = _profile_get(client)
    if existing is not None and existing.customer_deleted_at is None:
        return existing
    account = _account_for_cards(client.practice, account)
    port = payments_port()
    acct = account.stripe_account_id
    # A customer deleted on Stripe is replaced, under a key of its own.
    parts: tuple[object, ...] = ("customer", client.pk)
    if existing is not None:
        parts += ("after", existing.stripe_customer_id)
    metadata = {META_CLIENT: str(client.pk), META_PRACTICE: str(client.practice_id)}
    with _stripe_refusals():
        customer = stripe_once(
            key=idempotency_key(*parts), operation="customer_create", practice=client.practice,
            create=lambda key: port.customer_create(
                account_id=acct, email=client.email, name=client.full_name,
                metadata=metadata, idempotency_key=key),
            get=lambda cid: port.customer_get(account_id=acct, customer_id=cid),
            find=lambda: port.customer_find(account_id=acct, email=client.email,
                                            metadata_key=META_CLIENT,
                                            metadata_value=str(client.pk)))
    with transaction.atomic():
        if existing is not None:
            ClientPaymentProfile.objects.filter(pk=existing.pk).update(
                account=account, stripe_customer_id=customer.id, customer_deleted_at=None)
            profile = ClientPaymentProfile.objects.get(pk=existing.pk)
            action = AuditAction.UPDATE
        else:
            try:
                with transaction.atomic():
                    profile = ClientPaymentProfile.objects.create(
                        practice_id=client.practice_id, client=client, account=account,
                        stripe_customer_id=customer.id)
            except IntegrityError:
                # Another request made it first, with the same customer (same key).
                return ClientPaymentProfile.objects.get(client=client)
            action = AuditAction.CREATE
        audit_record(ctx=ctx, action=action, category=CATEGORY, client_id=client.pk,
                     object_type="ClientPaymentProfile", object_id=profile.pk,
                     detail={"stripe_customer": customer.id})
    return profile


# --- card links ---------------------------------------------------------------------------------


def card_request_create(*, client: Client, ctx: AuditContext, send_email: bool,
                        user: User | None = None,
                        charge_open_invoices: bool = False) -> CardRequest:
    """A link for the client to save a card. With `send_email`, the link is emailed to the
    client from the practice (after commit); without, staff open it at once with the client
    in the room. A newer link cancels the client's older pending ones."""
    if send_email and not client.email:
        raise InvalidInput({"email": "This client has no email address: add one in Details, "
                                     "or open the card form now with the client."})
    client_payment_profile_ensure(client=client, ctx=ctx)  # refuses when cards are impossible
    now = timezone.now()
    source = "card link (email)" if send_email else "card link (in person)"
    with transaction.atomic():
        for old in CardRequest.objects.filter(practice_id=client.practice_id, client=client,
                                              status=CardRequestStatus.PENDING):
            CARD_REQUEST_MACHINE.transition(obj=old, to=CardRequestStatus.CANCELLED, ctx=ctx,
                                            actor=user, source=source,
                                            reason="replaced by a newer link")
        card_request = CardRequest.objects.create(
            practice_id=client.practice_id, client=client, token=secrets.token_urlsafe(32),
            requested_by=user, emailed_to=client.email if send_email else "", created_at=now,
            expires_at=now + dt.timedelta(days=settings.CARD_REQUEST_DAYS),
            charge_open_invoices=charge_open_invoices)
        CARD_REQUEST_MACHINE.record_created(obj=card_request, actor=user, source=source)
        audit_record(ctx=ctx, action=AuditAction.CREATE, category=CATEGORY, client_id=client.pk,
                     object_type="CardRequest", object_id=card_request.pk,
                     detail={"emailed": send_email,
                             "charge_open_invoices": charge_open_invoices})
        if send_email:
            card_request_email_send(card_request=card_request, ctx=ctx)
            CardRequest.objects.filter(pk=card_request.pk).update(emailed_at=now)
            card_request.emailed_at = now
    return card_request


def card_request_cancel(*, card_request: CardRequest, ctx: AuditContext,
                        user: User | None = None) -> CardRequest:
    """Staff withdraw a pending link (sent to a wrong address, say): it no longer opens."""
    CARD_REQUEST_MACHINE.require_action(card_request, "cancel")
    return CARD_REQUEST_MACHINE.transition(obj=card_request, to=CardRequestStatus.CANCELLED,
                                           ctx=ctx, actor=user, source="card on file page",
                                           reason="cancelled by staff")


def card_request_email_send(*, card_request: CardRequest, ctx: AuditContext) -> SentEmail:
    """Email the link (HTML and plain text) through the recorded outbound mail, so it shows in
    Billing → Outbox and on the client's card page with its delivery status. Only the client's
    first name and the practice's name: no session, amount or anything clinical."""
    practice = card_request.practice
    return email_send(
        practice=practice, to=card_request.emailed_to,
        subject=f"{practice.name}: add a card for your sessions",
        template="payments/email/card_request",
        context={"first_name": card_request.client.first_name,
                 "url": card_link_url(card_request=card_request),
                 "expires_at": card_request.expires_at},
        ctx=ctx, kind="card_request", object_type="CardRequest", object_id=card_request.pk,
        client_id=card_request.client_id)


def card_request_get_by_token(*, token: str) -> CardRequest:
    """The link behind a token, or NotFound (an unknown token is treated like a wrong URL)."""
    card_request = (CardRequest.objects.select_related("client", "practice")
                    .filter(token=token).first() if token else None)
    if card_request is None:
        raise NotFound("This link is not valid. Ask your practice for a new one.")
    return card_request


def card_request_refusal(card_request: CardRequest) -> str:
    """Why the link cannot open the card form now, in the client's words ("" if it can)."""
    if card_request.status == CardRequestStatus.COMPLETED:
        return "This link has already been used: your card is saved."
    if card_request.status == CardRequestStatus.CANCELLED:
        return f"This link was replaced by a newer one. Use the latest email from " \
               f"{card_request.practice.name}, or ask them for a new link."
    if card_request.status == CardRequestStatus.EXPIRED or card_request.is_past_expiry:
        return f"This link has expired. Ask {card_request.practice.name} for a new one."
    return ""


def card_request_open(*, token: str, consent: bool,
                      source_ip: str | None = None) -> SetupSession:
    """The public page's POST: check the link, record the client's authorization, and make
    a fresh Checkout session (setup mode) to send the client to. Each opening makes a new
    session, keyed by the link and its count, since a session lives only 24 hours."""
    card_request = card_request_get_by_token(token=token)
    practice = card_request.practice
    ctx = AuditContext(practice_id=practice.pk, user_email="card link", source_ip=source_ip)
    refusal = card_request_refusal(card_request)
    if refusal:
        if card_request.status == CardRequestStatus.PENDING:  # past its date: say so for good
            CARD_REQUEST_MACHINE.transition(obj=card_request, to=CardRequestStatus.EXPIRED,
                                            ctx=ctx, source="card link", reason="expired")
        raise Conflict(refusal)
    if not consent:
        raise InvalidInput({"consent": "Tick the box to authorize the payments before adding "
                                       "your card."})
    profile = client_payment_profile_ensure(client=card_request.client, ctx=ctx)
    account = _account_for_cards(practice)
    now = timezone.now()
    with transaction.atomic():
        locked = CardRequest.objects.select_for_update().get(pk=card_request.pk)
        number = locked.sessions_made + 1
        CardRequest.objects.filter(pk=locked.pk).update(
            sessions_made=number, consent_text=autopay_consent_text(practice=practice),
            consent_at=now)
    port = payments_port()
    acct = account.stripe_account_id
    page = card_link_url(card_request=card_request)
    metadata = {META_REQUEST: str(card_request.pk), META_CLIENT: str(card_request.client_id),
                META_PRACTICE: str(practice.pk)}
    with _stripe_refusals():
        session = stripe_once(
            key=idempotency_key("card-session", card_request.pk, number),
            operation="setup_session_create", practice=practice,
            create=lambda key: port.setup_session_create(
                account_id=acct, customer_id=profile.stripe_customer_id,
                success_url=page + "done/?session_id={CHECKOUT_SESSION_ID}",
                cancel_url=page, metadata=metadata, idempotency_key=key),
            get=lambda sid: port.setup_session_get(account_id=acct, session_id=sid))
    with transaction.atomic():
        CardRequest.objects.filter(pk=card_request.pk).update(checkout_session_id=session.id)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category=CATEGORY,
                     client_id=card_request.client_id, object_type="CardRequest",
                     object_id=card_request.pk,
                     detail={"consent": True, "session": number})
    return session


# --- the saved card -----------------------------------------------------------------------------


def card_saved_record(*, account: PaymentAccount, session_id: str, ctx: AuditContext,
                      card_request: CardRequest | None = None,
                      source: str = "") -> ClientPaymentProfile:
    """Record the card a completed Checkout session saved: make it the customer's default on
    Stripe, keep brand / last 4 / expiry and the authorization the client gave, complete the
    link. Reads the session as Stripe has it now (never a payload), and a second call (the
    return page and the webhook both come) changes nothing more. A session of another
    account is invisible through the port; one not made by Oasys for this practice (or, with
    `card_request`, for another link) is refused with NotFound.

    Raises the port's errors when Stripe cannot be asked (the caller retries)."""
    port = payments_port()
    acct = account.stripe_account_id
    if not acct:
        raise NotFound("This practice has no Stripe account.")
    try:
        session = port.setup_session_get(account_id=acct, session_id=session_id)
    except NotFoundError:
        raise NotFound("No such card form on this practice's Stripe account.") from None
    request_id = session.metadata.get(META_REQUEST, "")
    req = (CardRequest.objects.select_related("client")
           .filter(practice_id=account.practice_id, pk=int(request_id)).first()
           if request_id.isdigit() else None)
    if req is None or (card_request is not None and req.pk != card_request.pk):
        raise NotFound("This card form was not made for this link.")
    profile = ClientPaymentProfile.objects.filter(practice_id=account.practice_id,
                                                  client_id=req.client_id).first()
    if profile is None or profile.stripe_customer_id != session.customer_id:
        raise NotFound("This card form belongs to another customer.")
    if session.status != "complete" or not session.payment_method_id:
        raise Conflict("The card has not been saved yet.")
    if _already_recorded(req, profile, session.payment_method_id):
        return profile
    card = port.card_get(account_id=acct, payment_method_id=session.payment_method_id)
    if card.customer_id != profile.stripe_customer_id:
        # Removed (detached) since: nothing to keep.
        raise Conflict("That card is no longer saved on Stripe.")
    port.customer_default_card_set(
        account_id=acct, customer_id=profile.stripe_customer_id, payment_method_id=card.id,
        idempotency_key=idempotency_key("default-card", profile.pk, card.id))
    now = timezone.now()
    with transaction.atomic():
        locked_req = CardRequest.objects.select_for_update().get(pk=req.pk)
        locked = ClientPaymentProfile.objects.select_for_update().get(pk=profile.pk)
        if _already_recorded(locked_req, locked, card.id):
            return locked
        ClientPaymentProfile.objects.filter(pk=locked.pk).update(
            **_card_fields(card), card_saved_at=now,
            autopay_consent_at=locked_req.consent_at,
            autopay_consent_text=locked_req.consent_text, autopay_paused_at=None)
        if locked_req.status == CardRequestStatus.PENDING:
            CARD_REQUEST_MACHINE.transition(
                obj=locked_req, to=CardRequestStatus.COMPLETED, ctx=ctx,
                source=source or "card saved", updates={"completed_at": now})
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category=CATEGORY,
                     client_id=req.client_id, object_type="ClientPaymentProfile",
                     object_id=locked.pk,
                     detail={"card_saved": True, "card_request": req.pk,
                             "source": (source or "")[:80]})
        saved_request_id, saved_profile_id = locked_req.pk, locked.pk
        # Apps above payments act on the new card (invoices charges the open invoices when
        # staff asked it to) once it is committed, and only the first time it is recorded.
        transaction.on_commit(
            lambda: card_saved_notify(
                profile=ClientPaymentProfile.objects.select_related("account", "client")
                .get(pk=saved_profile_id),
                card_request=CardRequest.objects.get(pk=saved_request_id)),
            robust=True)
    return ClientPaymentProfile.objects.get(pk=profile.pk)


def _already_recorded(req: CardRequest, profile: ClientPaymentProfile, pm_id: str) -> bool:
    if req.status == CardRequestStatus.COMPLETED:
        return True
    # A newer link already saved a card: this older session's card does not replace it.
    if CardRequest.objects.filter(client_id=req.client_id, status=CardRequestStatus.COMPLETED,
                                  created_at__gt=req.created_at).exists():
        return True
    # A cancelled or expired link's session (opened before it died) saves the card once.
    return req.status != CardRequestStatus.PENDING and \
        profile.card_payment_method_id == pm_id and profile.autopay_consent_at == req.consent_at


def _card_fields(card: Card) -> dict[str, object]:
    return {"card_payment_method_id": card.id, "card_brand": card.brand,
            "card_last4": card.last4, "card_exp_month": card.exp_month,
            "card_exp_year": card.exp_year}


def card_profile_refresh(*, profile: ClientPaymentProfile, ctx: AuditContext,
                         source: str = "") -> str:
    """Make the profile's card what Stripe has now as the customer's default card: for
    `payment_method.detached|updated` and `customer.updated|deleted`, in whatever order they
    come. Answers what it did (an outcome for the event's row)."""
    port = payments_port()
    acct = profile.account.stripe_account_id
    try:
        customer = port.customer_get(account_id=acct, customer_id=profile.stripe_customer_id)
        deleted = customer.deleted
    except NotFoundError:
        customer, deleted = None, True
    now = timezone.now()
    if deleted or customer is None:
        target = {**_CARD_CLEARED, "customer_deleted_at": profile.customer_deleted_at or now}
        outcome = "customer deleted"
    elif not customer.default_payment_method:
        target, outcome = dict(_CARD_CLEARED), "no default card"
    else:
        card = port.card_get(account_id=acct, payment_method_id=customer.default_payment_method)
        if card.customer_id != customer.id:
            target, outcome = dict(_CARD_CLEARED), "default card detached"
        else:
            target, outcome = _card_fields(card), f"card {card.brand} {card.last4}"
            if card.id != profile.card_payment_method_id:
                target["card_saved_at"] = now
    changes = {k: v for k, v in target.items() if getattr(profile, k) != v}
    if not changes:
        return f"{outcome}: unchanged"
    with transaction.atomic():
        ClientPaymentProfile.objects.filter(pk=profile.pk).update(**changes)
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category=CATEGORY,
                     client_id=profile.client_id, object_type="ClientPaymentProfile",
                     object_id=profile.pk,
                     detail={"fields": sorted(changes), "source": source[:80]})
    return f"{outcome}: profile updated"


def autopay_pause(*, profile: ClientPaymentProfile, ctx: AuditContext, reason: str) -> bool:
    """Stop charging the client's card automatically (after repeated declines): the card
    stays on file, staff may still charge it, and saving a new card resumes autopay
    (`card_saved_record` clears the pause). Audited. Answers whether it paused now (False:
    it was paused already), so whoever tells the owner tells them once."""
    now = timezone.now()
    with transaction.atomic():
        paused = ClientPaymentProfile.objects.filter(
            pk=profile.pk, autopay_paused_at__isnull=True).update(autopay_paused_at=now)
        if not paused:
            return False
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category=CATEGORY,
                     client_id=profile.client_id, object_type="ClientPaymentProfile",
                     object_id=profile.pk,
                     detail={"autopay_paused": True, "reason": reason[:120]})
    profile.autopay_paused_at = now
    return True


def card_remove(*, client: Client, ctx: AuditContext, user: User | None = None) -> None:
    """Detach the client's card on Stripe and forget it here, with the autopay authorization
    that went with it. NotFound when there is no card."""
    profile = _profile_get(client)
    if profile is None or not profile.has_card:
        raise NotFound("This client has no card on file.")
    pm = profile.card_payment_method_id
    port = payments_port()
    with _stripe_refusals():
        try:
            port.card_detach(account_id=profile.account.stripe_account_id, payment_method_id=pm,
                             idempotency_key=idempotency_key("card-detach", profile.pk, pm))
        except NotFoundError:
            pass  # gone on Stripe already
        except FinalError as exc:
            if exc.code != "payment_method_unexpected_state":  # already detached
                raise
    with transaction.atomic():
        ClientPaymentProfile.objects.filter(pk=profile.pk).update(**_CARD_CLEARED)
        audit_record(ctx=ctx, action=AuditAction.DELETE, category=CATEGORY, client_id=client.pk,
                     object_type="ClientPaymentProfile", object_id=profile.pk,
                     detail={"card_removed": True,
                             **({"by_user": user.pk} if user is not None else {})})

