"""The run machine: a run's phases in order, each a recovery point (runner.py). A phase
only moves forward, one step at a time, and only the runner moves it; each move is an event
row and an audit row like every other machine's.

    select -> bill -> transmit -> deliver -> client_share -> secondary -> report -> done
"""

from __future__ import annotations

from oasys.core.statemachine import StateMachine, machine_register

from .models import BillingRun, BillingRunEvent, RunPhase

P = RunPhase
ORDER: tuple[str, ...] = (P.SELECT, P.BILL, P.TRANSMIT, P.DELIVER, P.CLIENT_SHARE,
                          P.SECONDARY, P.REPORT, P.DONE)
TRANSITIONS: dict[str, frozenset[str]] = {
    phase: frozenset({ORDER[i + 1]}) if i + 1 < len(ORDER) else frozenset()
    for i, phase in enumerate(ORDER)
}


def phase_after(phase: str) -> str:
    return ORDER[ORDER.index(phase) + 1]


BILLING_RUN_MACHINE = machine_register(StateMachine(
    name="billing_run", noun="billing run", model=BillingRun, statuses=RunPhase,
    transitions=TRANSITIONS, event_model=BillingRunEvent, event_fk="run",
    status_field="phase", changed_at_field="phase_changed_at", client_attr="",
    writers=("oasys.autobilling.runner", "oasys.autobilling.machine"),
))
