"""X12 5010 for therapy-practice billing: read, check, build and parse.

Pure Python, standard library only.  Money is :class:`decimal.Decimal`.

Reading:   :class:`X12Reader`, :func:`read_transactions`
Parsing:   :func:`parse_file`, :func:`parse_transaction`, :func:`parse_835`,
           :func:`stream_835`, :func:`parse_271`, :func:`parse_277`, :func:`parse_999`
Building:  :func:`build_837p`, :func:`build_270`, :func:`build_276`, :func:`build_999`,
           :func:`build_277ca`, :func:`build_835` (with :class:`Envelope`)
Checking:  :func:`balance_835`, :func:`validate_270`, :func:`validate_276`
Errors:    :class:`X12Error` and its subclasses in :mod:`x12.errors`

The names are imported on first use (PEP 562), so ``python -m x12`` and
``import x12.reader`` do not pay for the builders and parsers they do not use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "BalanceError": "x12.balancing", "balance_835": "x12.balancing",
    "build_999": "x12.build.ack_999", "build_837p": "x12.build.claim_837p",
    "build_277ca": "x12.build.claim_ack_277ca", "build_270": "x12.build.eligibility_270",
    "build_835": "x12.build.remit_835", "build_276": "x12.build.status_276",
    "Delimiters": "x12.delimiters", "Envelope": "x12.envelope",
    "BuildError": "x12.errors", "DelimiterError": "x12.errors", "EnvelopeError": "x12.errors",
    "ParseError": "x12.errors", "UnsupportedVersionError": "x12.errors",
    "ValidationError": "x12.errors", "X12Error": "x12.errors",
    "X12SyntaxError": "x12.errors",
    "parse_271": "x12.parse", "parse_277": "x12.parse", "parse_835": "x12.parse",
    "parse_999": "x12.parse", "parse_file": "x12.parse", "parse_transaction": "x12.parse",
    "stream_835": "x12.parse.era_835",
    "TransactionSet": "x12.reader", "X12Reader": "x12.reader",
    "read_transactions": "x12.reader",
    "validate_270": "x12.validate_270", "validate_276": "x12.validate_276",
}

__all__ = [
    "BalanceError", "BuildError", "DelimiterError", "Delimiters", "Envelope", "EnvelopeError",
    "ParseError", "TransactionSet", "UnsupportedVersionError", "ValidationError", "X12Error",
    "X12Reader",
    "X12SyntaxError", "balance_835", "build_270", "build_276", "build_277ca", "build_835",
    "build_837p", "build_999", "parse_271", "parse_277", "parse_835", "parse_999",
    "parse_file", "parse_transaction", "read_transactions", "stream_835", "validate_270",
    "validate_276",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'x12' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs; nothing is imported at run time
    from x12.balancing import BalanceError, balance_835
    from x12.build.ack_999 import build_999
    from x12.build.claim_837p import build_837p
    from x12.build.claim_ack_277ca import build_277ca
    from x12.build.eligibility_270 import build_270
    from x12.build.remit_835 import build_835
    from x12.build.status_276 import build_276
    from x12.delimiters import Delimiters
    from x12.envelope import Envelope
    from x12.errors import (
        BuildError,
        DelimiterError,
        EnvelopeError,
        ParseError,
        UnsupportedVersionError,
        ValidationError,
        X12Error,
        X12SyntaxError,
    )
    from x12.parse import (
        parse_271,
        parse_277,
        parse_835,
        parse_999,
        parse_file,
        parse_transaction,
    )
    from x12.parse.era_835 import stream_835
    from x12.reader import TransactionSet, X12Reader, read_transactions
    from x12.validate_270 import validate_270
    from x12.validate_276 import validate_276
