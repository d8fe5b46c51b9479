"""X12 5010 for therapy-practice billing: read, check, build and parse.

Pure Python, standard library only.  Money is :class:`decimal.Decimal`.

Reading:   :class:`X12Reader`, :func:`read_transactions`
Parsing:   :func:`parse_file`, :func:`parse_transaction`, :func:`parse_835`,
           :func:`stream_835`, :func:`parse_271`, :func:`parse_277`, :func:`parse_999`
Building:  :func:`build_837p`, :func:`build_270`, :func:`build_276`, :func:`build_999`,
           :func:`build_277ca`, :func:`build_835` (with :class:`Envelope`)
Checking:  :func:`balance_835`, :func:`validate_270`, :func:`validate_276`
Errors:    :class:`X12Error` and its subclasses in :mod:`x12.errors`
"""

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

__all__ = [
    "BalanceError", "BuildError", "DelimiterError", "Delimiters", "Envelope", "EnvelopeError",
    "ParseError", "TransactionSet", "UnsupportedVersionError", "ValidationError", "X12Error",
    "X12Reader", "X12SyntaxError", "balance_835", "build_270", "build_276", "build_277ca",
    "build_835",
    "build_837p", "build_999", "parse_271", "parse_277", "parse_835", "parse_999",
    "parse_file", "parse_transaction", "read_transactions", "stream_835", "validate_270",
    "validate_276",
]
