"""Parsers: 835, 271, 277/277CA, 999, and summaries of 837/270/276."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from x12.encoding import X12Warning
from x12.errors import ParseError, X12Error
from x12.gcpause import gc_paused
from x12.reader import Interchange, Source, TransactionSet, X12Reader

if TYPE_CHECKING:
    from x12.parse.ack_999 import FunctionalGroupAck, parse_999
    from x12.parse.benefits_271 import EligibilityResponse, parse_271
    from x12.parse.era_835 import Remittance835, parse_835
    from x12.parse.requests import Summary
    from x12.parse.status_277 import ClaimStatusResponse, parse_277

__all__ = [
    "ClaimStatusResponse", "EligibilityResponse", "FunctionalGroupAck", "ParsedFile",
    "Remittance835", "Summary", "iter_parsed", "parse_271", "parse_277", "parse_835",
    "parse_999", "parse_file", "parse_transaction",
]


class Parsed(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


# ST01 -> (module, function).  The modules are imported on first use, so a caller that only
# meets 835s (``python -m x12 parse`` on an ERA) never imports the 271/277/999 parsers.
PARSER_PATHS: dict[str, tuple[str, str]] = {
    "835": ("x12.parse.era_835", "parse_835"), "271": ("x12.parse.benefits_271", "parse_271"),
    "277": ("x12.parse.status_277", "parse_277"), "999": ("x12.parse.ack_999", "parse_999"),
    "837": ("x12.parse.requests", "summarize_837"),
    "270": ("x12.parse.requests", "summarize_270"),
    "276": ("x12.parse.requests", "summarize_276"),
}
_EXPORTS = {
    "FunctionalGroupAck": "x12.parse.ack_999", "parse_999": "x12.parse.ack_999",
    "EligibilityResponse": "x12.parse.benefits_271", "parse_271": "x12.parse.benefits_271",
    "Remittance835": "x12.parse.era_835", "parse_835": "x12.parse.era_835",
    "Summary": "x12.parse.requests", "summarize_270": "x12.parse.requests",
    "summarize_276": "x12.parse.requests", "summarize_837": "x12.parse.requests",
    "ClaimStatusResponse": "x12.parse.status_277", "parse_277": "x12.parse.status_277",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'x12.parse' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def parser_for(set_id: str) -> Callable[[TransactionSet], Parsed] | None:
    """The parser for ST01 ``set_id`` (imported on first use), or None when unsupported."""
    path = PARSER_PATHS.get(set_id)
    if path is None:
        return None
    return getattr(importlib.import_module(path[0]), path[1])


def parse_transaction(ts: TransactionSet) -> Parsed:
    """Parse one transaction set with the parser for its ST01."""
    parser = parser_for(ts.set_id)
    if parser is None:
        raise ParseError("unsupported transaction set", position=ts.start_position,
                         segment_id="ST", element=1, expected="/".join(PARSER_PATHS),
                         found=ts.set_id)
    return parser(ts)


def iter_parsed(source: Source) -> Iterator[tuple[TransactionSet, Parsed | X12Error]]:
    """Stream ``(transaction set, parsed result or the X12Error it raised)``."""
    for ts in X12Reader(source):
        try:
            yield ts, parse_transaction(ts)
        except X12Error as exc:
            yield ts, exc


@dataclass(slots=True)
class ParsedFile:
    """Everything in one file, in the shape printed by ``python -m x12 parse``."""

    interchanges: list[tuple[Interchange, list[Parsed]]] = field(default_factory=list)
    errors: list[X12Error] = field(default_factory=list)
    warnings: list[X12Warning] = field(default_factory=list)  # e.g. non-UTF-8 bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "interchanges": [
                {"sender": isa.sender, "receiver": isa.receiver,
                 "control_number": isa.control_number,
                 "transactions": [p.to_dict() for p in parsed]}
                for isa, parsed in self.interchanges],
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def balance_errors(self) -> list[Any]:
        from x12.parse.era_835 import Remittance835  # noqa: PLC0415 (lazy, see PARSER_PATHS)

        out: list[Any] = []
        for _, parsed in self.interchanges:
            for p in parsed:
                if isinstance(p, Remittance835):
                    out += p.balance_errors
        return out


def parse_file(source: Source) -> ParsedFile:
    """Read and parse a whole file (all interchanges), collecting errors instead of raising."""
    with gc_paused():
        return _parse_file(source)


def _parse_file(source: Source) -> ParsedFile:
    reader = X12Reader(source)
    result = ParsedFile()
    by_isa: dict[int, list[Parsed]] = {}
    parse_errors: list[X12Error] = []
    try:
        for ts in reader:
            try:
                parsed = parse_transaction(ts)
            except X12Error as exc:
                parse_errors.append(exc)
                continue
            by_isa.setdefault(id(ts.interchange), []).append(parsed)
    except X12Error as exc:
        parse_errors.append(exc)
    for isa in reader.interchanges:
        result.interchanges.append((isa, by_isa.get(id(isa), [])))
    result.errors = sorted(reader.errors + parse_errors,
                           key=lambda e: e.position if e.position is not None else 0)
    result.warnings = list(reader.warnings)
    return result
