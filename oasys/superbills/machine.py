"""The superbill state machine.

    created -> sent   emailed to the client (sending again keeps it Sent)
            -> void   withdrawn: its sessions may go on a new superbill
    sent    -> void
    void    -> (nothing; Recreate makes a new superbill from its sessions)
"""

from __future__ import annotations

from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import Superbill, SuperbillEvent, SuperbillStatus

S = SuperbillStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.CREATED: frozenset({S.SENT, S.VOID}),
    S.SENT: frozenset({S.VOID}),
    S.VOID: frozenset(),
}

SUPERBILL_ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("send", "Send by email", frozenset({S.CREATED, S.SENT}), to=S.SENT,
           refusal="A {status} superbill is not sent."),
    Action("void", "Void", frozenset({S.CREATED, S.SENT}), to=S.VOID,
           refusal="A {status} superbill cannot be voided."),
    # Void (unless already) and make a new superbill from the same sessions.
    Action("recreate", "Recreate", frozenset({S.CREATED, S.SENT, S.VOID}),
           when=lambda sb: sb.replaced_by_id is None,
           refusal="This superbill was already recreated."),
)}

SUPERBILL_MACHINE = machine_register(StateMachine(
    name="superbill", noun="superbill", model=Superbill, statuses=SuperbillStatus,
    transitions=TRANSITIONS, event_model=SuperbillEvent, event_fk="superbill",
    actions=SUPERBILL_ACTIONS, writers=("oasys.superbills.services",),
))
