"""What happens to an inbound file after it is stored and parsed: a small registry keyed by
transaction set. Claims (999, 277CA) and remittance (835) handlers arrive with later issues;
until then a file is recorded only."""

from __future__ import annotations

from collections.abc import Callable

from .models import EdiFile

Handler = Callable[[EdiFile], None]
HANDLERS: dict[str, list[Handler]] = {}


def handler_register(set_id: str, handler: Handler) -> None:
    """Called by other apps (in AppConfig.ready) to receive parsed files of ``set_id``."""
    if handler not in HANDLERS.setdefault(set_id, []):
        HANDLERS[set_id].append(handler)


def handlers_for(set_id: str) -> list[Handler]:
    return list(HANDLERS.get(set_id, []))
