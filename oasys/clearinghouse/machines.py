"""The EDI file status machine. Inbound files are stored first (as failed, "not parsed yet")
and then parsed; outbound files are the transmission outbox:

    queued -> sending -> submitted | retrying | refused;   retrying -> sending
    sending -> sending   (the sweeper takes back a file a crashed worker left being sent)

`EDI_FILE.transition` is the only code that assigns `EdiFile.status`.
"""

from __future__ import annotations

from oasys.core.statemachine import StateMachine, machine_register

from .models import EdiFile, EdiFileEvent, FileStatus

F = FileStatus

EDI_FILE_TRANSITIONS: dict[str, frozenset[str]] = {
    # inbound: stored unparsed (as failed, so a crash mid-parse still shows it), then read
    F.FAILED: frozenset({F.PARSED}),
    F.PARSED: frozenset(),
    # outbound: the outbox
    F.QUEUED: frozenset({F.SENDING}),
    F.SENDING: frozenset({F.SENDING, F.SUBMITTED, F.RETRYING, F.REFUSED}),
    F.RETRYING: frozenset({F.SENDING}),
    F.SUBMITTED: frozenset(),
    F.REFUSED: frozenset(),
}

EDI_FILE = machine_register(StateMachine(
    name="edi_file", noun="EDI file", model=EdiFile, statuses=FileStatus,
    transitions=EDI_FILE_TRANSITIONS, event_model=EdiFileEvent, event_fk="edi_file",
    changed_at_field="status_changed_at", client_attr=""))
