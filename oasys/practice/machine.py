"""The enrollment state machine. An enrollment's status records what the clearinghouse and
the payer say (and what a person records by hand), so every move between the four statuses
is legal: the machine's part is that one service writes it, under a row lock, with an event
row and an audit row for each change.

    not_started -> pending      submitted (through the clearinghouse or by hand)
                -> active       enrolled outside the clearinghouse, recorded by hand
                -> rejected     the payer refused, recorded by hand
    pending     -> active       the clearinghouse reports it live
                -> rejected     rejected or cancelled by the payer
                -> not_started  recorded as pending by mistake
    active      -> pending      re-enrolment (new NPI, new tax ID) in progress
                -> rejected     the payer cancelled it
                -> not_started  recorded as active by mistake
    rejected    -> pending      submitted again
                -> active       the payer reconsidered
                -> not_started  recorded as rejected by mistake
"""

from __future__ import annotations

from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import Enrollment, EnrollmentEvent, EnrollmentStatus

S = EnrollmentStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(set(S.values) - {status}) for status in S.values
}

_NOT_LIVE = frozenset({S.NOT_STARTED, S.PENDING, S.REJECTED})

ENROLLMENT_ACTIONS: dict[str, Action] = {a.name: a for a in (
    # Send it to the clearinghouse (once: it then has the clearinghouse's id).
    Action("submit", "Submit enrollment", _NOT_LIVE, to=S.PENDING,
           when=lambda e: not e.external_id,
           refusal="This enrollment is {status}: it has nothing to submit."),
    # Ask the clearinghouse where a submitted enrollment is.
    Action("check_status", "Check enrollment status", _NOT_LIVE,
           when=lambda e: bool(e.external_id),
           refusal="This enrollment was never submitted through the clearinghouse."),
    # Record by hand what the payer said (the Update status form).
    Action("record_status", "Update status", frozenset(S.values)),
)}

ENROLLMENT_MACHINE = machine_register(StateMachine(
    name="enrollment", noun="enrollment", model=Enrollment, statuses=EnrollmentStatus,
    transitions=TRANSITIONS, event_model=EnrollmentEvent, event_fk="enrollment",
    changed_at_field="status_changed_at", client_attr="", actions=ENROLLMENT_ACTIONS,
    # The enrollment audit rows keep their shape: from, to and the fields changed.
    audit_detail=lambda frm, to, source: {"from": frm, "to": to},
    writers=("oasys.practice.services",),
    # Accepting a payer that needs no enrollment for a transaction starts it active; demo
    # data starts in whatever status it shows.
    initial=frozenset({S.ACTIVE}), creators=("oasys.demo.seed",),
))
