"""What happens to an inbound file after it is stored and parsed: a small registry keyed by
transaction set (claims take 999 and 277, remittance 835); and, for outbound files, who hears
how their transmission ended."""

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


# What happens when an outbound file's transmission ends (submitted, retrying or refused): the
# claims app moves the claims the file carries. Called inside the transaction that moves the
# file's status, so the file and what it carries never disagree, even across a crash.
OutboundHandler = Callable[[EdiFile], None]
OUTBOUND_HANDLERS: list[OutboundHandler] = []


def outbound_handler_register(handler: OutboundHandler) -> None:
    """Called by other apps (in AppConfig.ready) to hear how their outbound files fared."""
    if handler not in OUTBOUND_HANDLERS:
        OUTBOUND_HANDLERS.append(handler)


def outbound_handlers() -> list[OutboundHandler]:
    return list(OUTBOUND_HANDLERS)
