"""Exactly-once creation on Stripe. Every creating call goes through `stripe_once`: its key is
derived from our own row ids, recorded in `StripeRequest` (unique) before the call, and
completed with Stripe's object id after it.

Why a ledger as well as Stripe's idempotency keys: Stripe forgets a key after 24 hours. A
retry finds the row first: a completed row reuses the object without calling Stripe; an
unfinished row younger than the window sends the same key again (Stripe replays its first
answer); an older one asks `find` (a lookup by our metadata) before creating anything, so a
call that reached Stripe before a crash a day ago is not made twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.core.models import Practice

from .models import StripeRequest

T = TypeVar("T")

# Stripe keeps keys for at least 24 hours; an hour of margin for clocks and slow retries.
KEY_WINDOW = dt.timedelta(hours=23)


def idempotency_key(*parts: object) -> str:
    """`oasys-<part>-<part>…`: stable for the same rows, distinct for different ones."""
    return "oasys-" + "-".join(str(p) for p in parts)


def stripe_request_get_or_start(*, key: str, operation: str,
                                practice: Practice | None) -> StripeRequest:
    """The ledger row for `key`, created (and committed, when no outer transaction is open)
    before the call is made. The unique key settles a race between two workers."""
    try:
        with transaction.atomic():
            return StripeRequest.objects.create(key=key, operation=operation, practice=practice)
    except IntegrityError:
        return StripeRequest.objects.get(key=key)


def stripe_once(
    *,
    key: str,
    operation: str,
    practice: Practice | None,
    create: Callable[[str], T],
    get: Callable[[str], T],
    find: Callable[[], T | None] | None = None,
    object_id: Callable[[T], str] = lambda obj: obj.id,  # type: ignore[attr-defined]
) -> T:
    """Create the object once. `create(key)` makes the call with that idempotency key;
    `get(id)` fetches an object already made; `find()` looks one up by our metadata."""
    row = stripe_request_get_or_start(key=key, operation=operation, practice=practice)
    if row.operation != operation:
        raise ValueError(f"idempotency key {key!r} reused for {operation} (was {row.operation})")
    if row.object_id:
        return get(row.object_id)
    if find is not None and timezone.now() - row.created_at > KEY_WINDOW:
        found = find()
        if found is not None:
            _complete(row, object_id(found))
            return found
        # Not there: Stripe never made it, and has forgotten the key, so a new call is safe.
    obj = create(key)
    _complete(row, object_id(obj))
    return obj


def _complete(row: StripeRequest, object_id: str) -> None:
    StripeRequest.objects.filter(pk=row.pk).update(object_id=object_id,
                                                   completed_at=timezone.now())
    row.object_id = object_id
