"""Stripe webhooks, the reading side: the stored events an operator looks at
(`oasys payments events`). Events are the platform's, not one practice's (an event for an
unknown account has none), so these lists are for operators and never reach a practice's
screens or API."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import StripeWebhookEvent, WebhookEventState


def stripe_event_list(*, state: str = "", limit: int = 50) -> QuerySet[StripeWebhookEvent]:
    """The newest stored events (of one state, if given), newest first."""
    rows = StripeWebhookEvent.objects.all()
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-received_at", "-pk")[:limit]


def stripe_event_failed_list(*, limit: int = 200) -> QuerySet[StripeWebhookEvent]:
    """Failed events: those still to be retried (`next_attempt_at`) and those given up on."""
    return stripe_event_list(state=WebhookEventState.FAILED, limit=limit)
