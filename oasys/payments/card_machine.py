"""The card link state machine (a `CardRequest`'s status).

    pending -> completed   the client saved a card through the link
            -> cancelled   a newer link for the same client replaced it
            -> expired     opened after its expiry date

Completed, cancelled and expired are final: a used or dead link never opens again."""

from __future__ import annotations

from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import CardRequest, CardRequestEvent, CardRequestStatus

S = CardRequestStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.COMPLETED, S.CANCELLED, S.EXPIRED}),
}

CARD_REQUEST_ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("open", "Open the card form", frozenset({S.PENDING}),
           when=lambda req: not req.is_past_expiry),
    Action("cancel", "Cancel the link", frozenset({S.PENDING}), to=S.CANCELLED),
)}

CARD_REQUEST_MACHINE = machine_register(StateMachine(
    name="card_request", noun="card link", model=CardRequest, statuses=CardRequestStatus,
    transitions=TRANSITIONS, event_model=CardRequestEvent, event_fk="card_request",
    changed_at_field="status_changed_at", client_attr="client_id",
    actions=CARD_REQUEST_ACTIONS, audit_category="payment_method",
    writers=("oasys.payments.cards",),
))
