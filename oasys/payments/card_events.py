"""Stripe's events about clients' cards. Each handler uses the event only to learn which
object changed and reads the current one through the port (`cards.py`), so events that come
late, twice or out of order end where one in-order delivery would."""

from __future__ import annotations

from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict, NotFound

from .cards import META_REQUEST, card_profile_refresh, card_saved_record
from .handlers import webhook_handler
from .models import ClientPaymentProfile, PaymentAccount
from .port import Event

SOURCE = "stripe webhook"


def _ctx(account: PaymentAccount) -> AuditContext:
    return AuditContext.system(practice_id=account.practice_id, source=SOURCE)


@webhook_handler("checkout.session.completed")
def checkout_session_completed(event: Event, account: PaymentAccount) -> str:
    obj = event.object
    if obj.get("mode") != "setup" or not (obj.get("metadata") or {}).get(META_REQUEST):
        return "not an Oasys card form: ignored"
    try:
        profile = card_saved_record(account=account, session_id=str(obj.get("id", "")),
                                    ctx=_ctx(account), source=f"{SOURCE} {event.id}")
    except NotFound as exc:  # not this practice's, or not a link of ours: nothing to do
        return f"ignored: {exc.message}"
    except Conflict as exc:  # not complete, or the card was removed since
        return f"not recorded: {exc.message}"
    return f"card on file: {profile.card_brand} {profile.card_last4}".strip()


@webhook_handler("payment_method.detached", "payment_method.updated")
def payment_method_changed(event: Event, account: PaymentAccount) -> str:
    obj = event.object
    pm = str(obj.get("id", ""))
    # A detached card's payload no longer names its customer; the earlier one is in
    # previous_attributes.
    customers = {str(c) for c in (obj.get("customer"),
                                  event.previous_attributes.get("customer")) if c}
    profiles = ClientPaymentProfile.objects.select_related("account").filter(
        practice_id=account.practice_id, account=account)
    matched = [p for p in profiles.filter(card_payment_method_id=pm)] if pm else []
    if customers:
        matched += [p for p in profiles.filter(stripe_customer_id__in=customers)
                    if p not in matched]
    if not matched:
        return "no client has that card"
    return "; ".join(card_profile_refresh(profile=p, ctx=_ctx(account),
                                          source=f"{SOURCE} {event.id}") for p in matched)


@webhook_handler("customer.updated", "customer.deleted")
def customer_changed(event: Event, account: PaymentAccount) -> str:
    profile = ClientPaymentProfile.objects.select_related("account").filter(
        practice_id=account.practice_id, account=account,
        stripe_customer_id=str(event.object.get("id", ""))).first()
    if profile is None:
        return "not a client's customer"
    return card_profile_refresh(profile=profile, ctx=_ctx(account),
                                source=f"{SOURCE} {event.id}")
