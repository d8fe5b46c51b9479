"""Writes of payments. This part: the practice's own Stripe account (Connect, Express).

The practice is the merchant of record: its Stripe account holds its customers, cards,
invoices, charges and payouts. Only the owner connects or disconnects it. Its status is
derived from what Stripe says of the account now (`derived_status`), fetched through the
port on return from onboarding and on every `account.updated` webhook, so events that come
late, twice or out of order end in the same state. The status moves only through
PAYMENT_ACCOUNT_MACHINE (which writes the event and audit rows); every other write here
records its own audit row (ids and field names only)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, NotAllowed
from oasys.core.models import AuditAction, Practice, Role, User

from .connection import payments_port
from .idempotency import idempotency_key, stripe_once
from .machine import PAYMENT_ACCOUNT_MACHINE
from .models import AccountStatus, PaymentAccount
from .port import Account, FinalError, IdempotencyConflict, NotFoundError, RetryableError
from .refusals import stripe_refusals
from .selectors import disabled_reason_words, payment_account_get

S = AccountStatus
MACHINE = PAYMENT_ACCOUNT_MACHINE
# The metadata key on the Stripe account that names our practice: the lookup that finds an
# account made by a call whose idempotency key Stripe has forgotten.
PRACTICE_METADATA_KEY = "oasys_practice"
OWNER_ONLY = "Only the practice owner can connect, change or disconnect the Stripe account."
# The fields `account_sync` copies from Stripe's account object.
SYNCED_FIELDS = ("charges_enabled", "payouts_enabled", "details_submitted", "business_name",
                 "requirements", "pending_verification", "disabled_reason")


def _require_owner(*, practice: Practice, user: User) -> None:
    if user is None or user.practice_id != practice.pk or user.role != Role.OWNER:
        raise NotAllowed(OWNER_ONLY)


def derived_status(remote: Account) -> str:
    """The status Stripe's account object says, and nothing else (pure: the same object
    always gives the same status). Details not yet submitted → onboarding; charges and
    payouts enabled → active; anything else (Stripe wants more, or is verifying) →
    restricted. A deleted account is the caller's business (it disconnects)."""
    if not remote.details_submitted:
        return S.ONBOARDING
    if remote.charges_enabled and remote.payouts_enabled:
        return S.ACTIVE
    return S.RESTRICTED


def _remote_values(remote: Account) -> dict[str, Any]:
    """The row's copy of Stripe's account: flags, what is due ([{field, reason}], currently
    due then past due, each field once), what Stripe is verifying, and why it is disabled."""
    due: dict[str, str] = {}
    for req in (*remote.currently_due, *remote.past_due):
        if req.field not in due or (req.reason and not due[req.field]):
            due[req.field] = req.reason
    return {
        "charges_enabled": bool(remote.charges_enabled),
        "payouts_enabled": bool(remote.payouts_enabled),
        "details_submitted": bool(remote.details_submitted),
        "business_name": (remote.business_name or "")[:200],
        "requirements": [{"field": f, "reason": r} for f, r in due.items()],
        "pending_verification": list(dict.fromkeys(remote.pending_verification)),
        "disabled_reason": (remote.disabled_reason or "")[:80],
    }


def _apply(*, account: PaymentAccount, remote: Account, ctx: AuditContext, source: str,
           actor: Any = None, leave_disconnected: bool = False,
           extra: dict[str, Any] | None = None) -> PaymentAccount:
    """Write what `remote` says onto the row, under its lock. The status moves (through the
    machine) only when the derived status differs; a disconnected account stays so unless
    `leave_disconnected` (reconnecting). `remote` is a live account (a deleted or revoked one
    goes through `_gone`). Nothing changed → no write but `synced_at`, and no
    event or audit row, so applying the same object twice is a no-op."""
    now = timezone.now()
    with transaction.atomic():
        locked = PaymentAccount.objects.select_for_update().get(pk=account.pk)
        values = {**_remote_values(remote), **(extra or {})}
        changed = sorted(f for f, v in values.items() if getattr(locked, f) != v)
        target = derived_status(remote)
        if locked.status == S.DISCONNECTED and not leave_disconnected:
            target = S.DISCONNECTED
        if target != locked.status:
            MACHINE.transition(
                obj=locked, to=target, ctx=ctx, actor=actor or ctx.user_id, source=source,
                reason=_status_reason(remote),
                updates={**{f: values[f] for f in changed}, "synced_at": now, "updated_at": now},
                audit_extra={"fields": changed, "stripe_account": locked.stripe_account_id})
        elif changed:
            PaymentAccount.objects.filter(pk=locked.pk).update(
                **{f: values[f] for f in changed}, synced_at=now, updated_at=now)
            audit_record(ctx=ctx, action=AuditAction.UPDATE, category="payment_account",
                         object_type="PaymentAccount", object_id=locked.pk,
                         detail={"fields": changed, "source": source[:80]})
        else:
            # Only the time we last asked Stripe: what the page shows as "checked".
            PaymentAccount.objects.filter(pk=locked.pk).update(synced_at=now)
    account.refresh_from_db()
    return account


def _status_reason(remote: Account) -> str:
    if remote.disabled_reason:
        return f"{disabled_reason_words(remote.disabled_reason)}."
    return ""


def payment_account_ensure(*, practice: Practice, ctx: AuditContext) -> PaymentAccount:
    """The practice's row, created (not connected) on the first Connect click."""
    account = payment_account_get(practice=practice)
    if account is not None:
        return account
    try:
        with transaction.atomic():
            account = PaymentAccount.objects.create(practice=practice)
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="payment_account",
                         object_type="PaymentAccount", object_id=account.pk)
    except IntegrityError:  # two first clicks at once: one row per practice
        account = PaymentAccount.objects.get(practice=practice)
    return account


def _stripe_account_for(*, account: PaymentAccount, practice: Practice, user: User) -> Account:
    """The Stripe account to use: the row's own if Stripe still has it (reconnecting keeps
    the practice's history, balance and payouts), else one created exactly once."""
    port = payments_port()
    key = idempotency_key("account", practice.pk)
    if account.stripe_account_id:
        try:
            remote = port.account_get(account_id=account.stripe_account_id)
        except (RetryableError, IdempotencyConflict):
            raise
        except FinalError:
            remote = None  # deleted, or the practice revoked our access in Stripe
        if remote is not None and not remote.deleted:
            return remote
        # A fresh account replaces one Stripe no longer has: its own key, stable for retries.
        key = idempotency_key("account", practice.pk, "after", account.stripe_account_id)
    return stripe_once(
        key=key, operation="account_create", practice=practice,
        create=lambda k: port.account_create(
            email=user.email, business_name=practice.name,
            metadata={PRACTICE_METADATA_KEY: str(practice.pk)}, idempotency_key=k),
        get=lambda acct_id: port.account_get(account_id=acct_id),
        find=lambda: _found_usable(port.account_find(metadata_key=PRACTICE_METADATA_KEY,
                                                     metadata_value=str(practice.pk)),
                                   account.stripe_account_id))


def _found_usable(found: Account | None, replaced: str) -> Account | None:
    if found is None or found.deleted or (replaced and found.id == replaced):
        return None
    return found


def account_connect(*, practice: Practice, user: User, ctx: AuditContext, return_url: str,
                    refresh_url: str) -> str:
    """The owner's "Connect Stripe Account": the practice's Express account (created once,
    or the one it had before disconnecting, if Stripe still has it), the row moved out of
    not connected / disconnected, and the URL to send the owner to (Stripe's onboarding, or
    `return_url` when a reconnected account needs nothing). Already connected: a fresh
    onboarding link (a double click, or the API's onboarding-link)."""
    _require_owner(practice=practice, user=user)
    account = payment_account_ensure(practice=practice, ctx=ctx)
    if account.status not in (S.NOT_CONNECTED, S.DISCONNECTED):
        return account_onboarding_link(practice=practice, user=user, ctx=ctx,
                                       return_url=return_url, refresh_url=refresh_url)
    MACHINE.require_action(account, "connect")
    with stripe_refusals():
        remote = _stripe_account_for(account=account, practice=practice, user=user)
    extra: dict[str, Any] = {"stripe_account_id": remote.id, "connected_by_id": user.pk,
                             "disconnected_at": None}
    if account.stripe_account_id and account.stripe_account_id != remote.id:
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="payment_account",
                     object_type="PaymentAccount", object_id=account.pk,
                     detail={"replaced_stripe_account": account.stripe_account_id,
                             "stripe_account": remote.id})
    # The status goes where Stripe says (a new account: onboarding) through the machine; the
    # account id and who connected it are written in the same statement.
    account = _apply(account=account, remote=remote, ctx=ctx, source="connect", actor=user,
                     leave_disconnected=True, extra=extra)
    if account.status == S.ACTIVE:
        return return_url
    return account_onboarding_link(practice=practice, user=user, ctx=ctx,
                                   return_url=return_url, refresh_url=refresh_url)


def account_onboarding_link(*, practice: Practice, user: User, ctx: AuditContext,
                            return_url: str, refresh_url: str) -> str:
    """A fresh Stripe-hosted link to finish onboarding (details not yet submitted) or update
    the details (after). Account links are single use and expire within minutes, so every
    click (and every visit of `refresh_url`, where Stripe sends an expired one) makes a new
    one; none is stored."""
    _require_owner(practice=practice, user=user)
    account = payment_account_get(practice=practice)
    if account is None or not account.stripe_account_id or \
            account.status in (S.NOT_CONNECTED, S.DISCONNECTED):
        raise Conflict("Connect the Stripe account first (Connect Stripe Account).")
    kind = "update" if account.details_submitted else "onboarding"
    MACHINE.require_action(account, "update_details" if kind == "update"
                           else "resume_onboarding")
    # The key: the row, the kind and the click's time in milliseconds. Not the ledger
    # (`stripe_once`): replaying an earlier link would hand back a used or expired one, and
    # the used link sends the owner to `refresh_url`, which would replay it again, forever.
    # A link creates nothing lasting (a spare one simply expires), so the key only has to
    # make the adapter's retries of this one click safe, which a per-click key does.
    key = idempotency_key("account-link", account.pk, kind, time.time_ns() // 1_000_000)
    with stripe_refusals():
        link = payments_port().account_link_create(
            account_id=account.stripe_account_id, kind=kind, return_url=return_url,
            refresh_url=refresh_url, idempotency_key=key)
    audit_record(ctx=ctx, action=AuditAction.CREATE, category="payment_account",
                 object_type="PaymentAccount", object_id=account.pk,
                 detail={"account_link": kind})
    return link.url


def account_sync(*, account: PaymentAccount, ctx: AuditContext, source: str) -> PaymentAccount:
    """Fetch the account as Stripe has it now and write it: flags, requirements, what is
    being verified, why it is disabled, the business name, and the derived status (through
    the machine). Idempotent and order-independent: it trusts only the current object, so a
    second sync, or a late event's, changes nothing. A disconnected account stays
    disconnected (only reconnecting leaves it); a row without a Stripe account is
    returned as it is."""
    if not account.stripe_account_id:
        return account
    with stripe_refusals():
        try:
            remote = payments_port().account_get(account_id=account.stripe_account_id)
        except FinalError as exc:
            if not _account_gone(exc):
                raise
            return _gone(account=account, ctx=ctx, source=source,
                         reason="Stripe no longer lets Oasys use this account (deleted, or "
                                "access removed in Stripe).")
    if remote.deleted:
        return _gone(account=account, ctx=ctx, source=source,
                     reason="The Stripe account was deleted.")
    return _apply(account=account, remote=remote, ctx=ctx, source=source)


def _account_gone(exc: FinalError) -> bool:
    """Stripe answers for an account that is deleted, or whose access the practice revoked:
    404 `resource_missing`, or 403 `account_invalid`. (A bad API key is another error.)"""
    return isinstance(exc, NotFoundError) or exc.code == "account_invalid"


def _gone(*, account: PaymentAccount, ctx: AuditContext, source: str,
          reason: str) -> PaymentAccount:
    """We can no longer act on the account: disconnected (the row keeps Stripe's last copy
    of the flags, for the record). Already disconnected or never connected: nothing."""
    MACHINE.try_transition(obj=account, to=S.DISCONNECTED, ctx=ctx, source=source,
                           reason=reason, updates={"disconnected_at": timezone.now()})
    account.refresh_from_db()
    return account


def account_deauthorized(*, account: PaymentAccount, ctx: AuditContext, source: str,
                         happened_at: Any = None) -> PaymentAccount:
    """Stripe says the practice removed our access (`account.application.deauthorized`):
    we can no longer act on the account, so it is disconnected. An event older than the
    row's last status move (the owner reconnected since) changes nothing."""
    if account.status in (S.DISCONNECTED, S.NOT_CONNECTED):
        return account
    # Stripe's `created` is in whole seconds: a second of slack keeps an event from the same
    # second as the last move from being taken for an older one.
    if happened_at is not None and account.status_changed_at is not None and \
            happened_at + dt.timedelta(seconds=1) < account.status_changed_at:
        return account
    return _gone(account=account, ctx=ctx, source=source,
                 reason="The practice removed Oasys's access in Stripe.")


def account_disconnect(*, practice: Practice, user: User, ctx: AuditContext,
                       source: str = "screen") -> PaymentAccount:
    """The owner stops using the Stripe account here (the screen asks for confirmation
    first). Oasys stops charging cards and creating anything on it; reconnecting later
    reuses it.

    The Stripe account itself is NOT deleted: it is the practice's own (the merchant of
    record), and holds its balance, payouts still on their way, refunds and disputes that
    may yet come, and the records Stripe reports for taxes (1099-K). Deleting it would
    strand that money and history; the practice keeps full use of it in Stripe's dashboard."""
    _require_owner(practice=practice, user=user)
    account = payment_account_get(practice=practice)
    if account is None:
        raise Conflict("There is no Stripe account to disconnect.")
    MACHINE.require_action(account, "disconnect")
    MACHINE.transition(obj=account, to=S.DISCONNECTED, ctx=ctx, actor=user, source=source,
                       reason="Disconnected by the owner.",
                       updates={"disconnected_at": timezone.now()},
                       audit_extra={"stripe_account": account.stripe_account_id})
    account.refresh_from_db()
    return account


def payment_account_require_active(*, practice: Practice) -> PaymentAccount:
    """The practice's account if cards can be charged on it now; otherwise the machine's
    `charge` refusal (Conflict: "Payment processing is …: connect Stripe in Billing Setup →
    Payment Processing before charging cards.")."""
    account = payment_account_get(practice=practice)
    # No row yet reads as "not connected", refused in the same words.
    MACHINE.require_action(account if account is not None else PaymentAccount(
        practice=practice), "charge")
    return account  # type: ignore[return-value]
