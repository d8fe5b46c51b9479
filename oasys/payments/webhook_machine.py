"""The state machine of a stored Stripe webhook event (`StripeWebhookEvent.state`):

    received -> processed     its handler ran and committed with the row
             -> ignored       a type we do not handle, an unknown account, the other mode
             -> failed        the handler raised; the sweeper tries again with back-off
    failed   -> failed        another attempt that failed (attempts + 1)
             -> processed | ignored
    ignored  -> received      an operator asked for it again (`oasys payments events --retry`)

`STRIPE_WEBHOOK_EVENT.transition` (called only from `webhooks.py`) is the only code that
assigns the state; a row is never deleted, so nothing Stripe sent us is lost.
"""

from __future__ import annotations

from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import StripeWebhookEvent, StripeWebhookStateEvent, WebhookEventState

W = WebhookEventState

TRANSITIONS: dict[str, frozenset[str]] = {
    W.RECEIVED: frozenset({W.PROCESSED, W.IGNORED, W.FAILED}),
    W.FAILED: frozenset({W.PROCESSED, W.IGNORED, W.FAILED}),
    W.IGNORED: frozenset({W.RECEIVED}),
    W.PROCESSED: frozenset(),
}

STRIPE_WEBHOOK_EVENT = machine_register(StateMachine(
    name="stripe_webhook_event", noun="Stripe event", model=StripeWebhookEvent,
    statuses=WebhookEventState, transitions=TRANSITIONS,
    event_model=StripeWebhookStateEvent, event_fk="webhook_event", status_field="state",
    client_attr="", writers=("oasys.payments.webhooks",),
    actions={a.name: a for a in (
        Action("retry", "Process again", frozenset({W.FAILED, W.IGNORED})),
    )},
))
