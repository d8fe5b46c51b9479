"""The payment account state machine. The status follows what Stripe says of the account
(`derived_status` in `services.py`), except "disconnected", which only the owner sets (or
Stripe's `account.application.deauthorized`), and which only reconnecting leaves.

    not_connected -> onboarding     the owner clicked Connect Stripe Account
    onboarding    -> restricted     details submitted, but Stripe wants more (or is verifying)
                  -> active         charges and payouts enabled
    restricted   <-> active         Stripe asked for more / got it
    restricted    -> onboarding     Stripe reopened the details (details_submitted false)
    any but not_connected -> disconnected
    disconnected  -> onboarding | restricted | active   reconnected
"""

from __future__ import annotations

from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import AccountStatus, PaymentAccount, PaymentAccountEvent

S = AccountStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NOT_CONNECTED: frozenset({S.ONBOARDING, S.RESTRICTED, S.ACTIVE}),
    S.ONBOARDING: frozenset({S.RESTRICTED, S.ACTIVE, S.DISCONNECTED}),
    S.RESTRICTED: frozenset({S.ACTIVE, S.ONBOARDING, S.DISCONNECTED}),
    S.ACTIVE: frozenset({S.RESTRICTED, S.ONBOARDING, S.DISCONNECTED}),
    S.DISCONNECTED: frozenset({S.ONBOARDING, S.RESTRICTED, S.ACTIVE}),
}

_CONNECTED = frozenset({S.ONBOARDING, S.RESTRICTED, S.ACTIVE})

PAYMENT_ACCOUNT_ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("connect", "Connect Stripe Account", frozenset({S.NOT_CONNECTED, S.DISCONNECTED})),
    Action("resume_onboarding", "Resume onboarding", frozenset({S.ONBOARDING})),
    Action("update_details", "Update details", frozenset({S.RESTRICTED, S.ACTIVE})),
    Action("refresh", "Refresh status", _CONNECTED),
    Action("disconnect", "Disconnect", _CONNECTED, to=S.DISCONNECTED),
    # Charging clients needs an active account; the invoices issue asks this action.
    Action("charge", "Charge a card", frozenset({S.ACTIVE}),
           refusal="Payment processing is {status}: connect Stripe in Billing Setup → "
                   "Payment Processing before charging cards."),
)}

PAYMENT_ACCOUNT_MACHINE = machine_register(StateMachine(
    name="payment_account", noun="payment account", model=PaymentAccount,
    statuses=AccountStatus, transitions=TRANSITIONS, event_model=PaymentAccountEvent,
    event_fk="account", changed_at_field="status_changed_at", client_attr="",
    actions=PAYMENT_ACCOUNT_ACTIONS, writers=("oasys.payments.services",),
    initial=frozenset({S.NOT_CONNECTED, S.ACTIVE}), creators=("oasys.demo.seed",),
))
