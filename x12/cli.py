"""Command line: ``python -m x12 parse FILE [--ndjson]`` and ``python -m x12 check FILE``.

Both commands stream: the file is read segment by segment (``X12Reader.events``), 835 claims
are parsed one at a time (``Era835Parser(keep_claims=False)``) and written out as soon as they
are finished, so memory stays flat however many claims or transaction sets the file holds.

One rule shapes the writer: a transaction set that cannot be parsed is left out of the
output (its error is listed instead), exactly as ``parse_file`` does.  The claims of the
transaction set being read therefore go to a spool (memory up to ``SPOOL_LIMIT`` characters,
then an anonymous temporary file) and reach stdout when the set's SE has been read and the
set is known to be good.  Stdout receives the file transaction set by transaction set.

Imports are kept light (no builders, only the parsers a file needs) because for a
command-line run start-up is part of the time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from json import JSONEncoder
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from x12.errors import X12Error
    from x12.parse.era_835 import ClaimPayment
    from x12.reader import Interchange

# The C encoder with json.dumps' defaults, called directly (json.dumps re-checks its keyword
# arguments on every call; indent= would switch to the pure-Python encoder).
_encode: Callable[[Any], str] = JSONEncoder().encode
SPOOL_LIMIT = 4 << 20  # characters of claims kept in memory before spilling to a temp file
PROGRESS_MIN_BYTES = 1 << 20  # files smaller than this finish before a progress line helps


class _Spool:
    """Text held in memory up to ``SPOOL_LIMIT`` characters, then in a temporary file."""

    __slots__ = ("file", "parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.file: Any = None

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > SPOOL_LIMIT:
            self._spill()

    def _spill(self) -> None:
        if self.file is None:
            import tempfile  # noqa: PLC0415 (only big transaction sets need it)

            self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.file.write("".join(self.parts))
        self.parts = []
        self.size = 0

    def copy_to(self, out: TextIO) -> None:
        if self.file is None:
            out.write("".join(self.parts))
        else:
            import shutil  # noqa: PLC0415

            self._spill()
            self.file.seek(0)
            shutil.copyfileobj(self.file, out, 1 << 20)
        self.close()

    def close(self) -> None:
        self.parts = []
        if self.file is not None:
            self.file.close()
            self.file = None


def _isa_dict(isa: Interchange) -> dict[str, Any]:
    return {"sender": isa.sender, "receiver": isa.receiver,
            "control_number": isa.control_number}


def _split_at(doc: dict[str, Any], key: str) -> tuple[str, str]:
    """JSON of ``doc`` cut where the value of ``key`` goes: ``head + value + tail``."""
    keys = list(doc)
    i = keys.index(key)
    before = _encode({k: doc[k] for k in keys[:i]})[:-1]
    after = _encode({k: doc[k] for k in keys[i + 1:]})[1:]
    head = before + (", " if i else "") + _encode(key) + ": "
    tail = (", " + after) if len(keys) > i + 1 else after
    return head, tail


class _JsonSink:
    """Writes ``python -m x12 parse`` output: one JSON document, or NDJSON lines."""

    def __init__(self, out: TextIO, interchanges: list[Interchange], *, ndjson: bool) -> None:
        self.out = out
        self.ndjson = ndjson
        self.claim_sep = ", " if ndjson else ",\n"
        self.interchanges = interchanges  # the reader's list, growing as it reads
        self.emitted = 0  # interchanges opened so far
        self.current: Interchange | None = None
        self.first_tx = True
        self.spool: _Spool | None = None
        self.claims = 0
        if not ndjson:
            out.write('{"interchanges": [')

    # claims of the transaction set being read
    def begin_claims(self) -> None:
        self.spool = _Spool()
        self.claims = 0

    def claim(self, claim: ClaimPayment) -> None:
        self.spool.write(  # type: ignore[union-attr]
            (self.claim_sep if self.claims else "") + _encode(claim.to_dict()))
        self.claims += 1

    def drop_claims(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool = None

    # whole transaction sets
    def _open(self, isa: Interchange) -> None:
        if isa is self.current:
            return
        isas = self.interchanges
        while self.emitted < len(isas):
            nxt = isas[self.emitted]
            self.emitted += 1
            self._open_one(nxt)
            if nxt is isa:
                return

    def _open_one(self, isa: Interchange) -> None:
        self.current = isa
        if self.ndjson:
            return
        out = self.out
        if self.emitted > 1:
            out.write("]},")
        out.write("\n" + _encode(_isa_dict(isa))[:-1] + ', "transactions": [')
        self.first_tx = True

    def transaction(self, isa: Interchange, doc: dict[str, Any]) -> None:
        self._open(isa)
        out = self.out
        if self.ndjson:
            out.write('{"interchange": ' + _encode(_isa_dict(isa)) + ', "transaction": ')
        else:
            out.write("\n" if self.first_tx else ",\n")
            self.first_tx = False
        spool, self.spool = self.spool, None
        if spool is None:
            out.write(_encode(doc))
        else:
            head, tail = _split_at(doc, "claims")
            if self.ndjson:
                out.write(head + "[")
                spool.copy_to(out)
                out.write("]" + tail)
            else:
                out.write(head + "[\n")
                spool.copy_to(out)
                out.write(("\n]" if self.claims else "]") + tail)
        out.write("}\n" if self.ndjson else "")

    def finish(self, errors: list[X12Error], balance_errors: list[Any],
               warnings: list[Any]) -> None:
        out = self.out
        if self.ndjson:
            for e in errors:
                out.write('{"error": ' + _encode(e.to_dict()) + "}\n")
            for w in warnings:
                out.write('{"warning": ' + _encode(w.to_dict()) + "}\n")
            return
        self._open_rest()
        if self.emitted:
            out.write("]}\n")
        out.write('], "errors": [')
        out.write(",\n".join(_encode(e.to_dict()) for e in errors))
        out.write('], "warnings": [')
        out.write(",\n".join(_encode(w.to_dict()) for w in warnings))
        out.write("]}\n")

    def _open_rest(self) -> None:
        while self.emitted < len(self.interchanges):
            self.emitted += 1
            self._open_one(self.interchanges[self.emitted - 1])


class _CheckSink:
    """Collects what ``python -m x12 check`` prints; claims are only balanced, not kept."""

    def __init__(self, interchanges: list[Interchange]) -> None:
        self.interchanges = interchanges
        self.transactions = 0
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def begin_claims(self) -> None:
        pass

    def claim(self, claim: ClaimPayment) -> None:
        pass

    def drop_claims(self) -> None:
        pass

    def transaction(self, isa: Interchange, doc: Any) -> None:
        self.transactions += 1

    def finish(self, errors: list[X12Error], balance_errors: list[Any],
               warnings: list[Any]) -> None:
        self.problems = [e.describe() for e in errors] + [b.message for b in balance_errors]
        self.warnings = [w.describe() for w in warnings]


class _Progress:
    """``\\r``-rewritten status line on stderr (only when stderr is a terminal)."""

    def __init__(self, size: int, fh: Any) -> None:
        import time  # noqa: PLC0415

        self.clock = time.monotonic
        self.size = size
        self.fh = fh
        self.last = self.clock()
        self.shown = False

    def tick(self, claims: int, transactions: int) -> None:
        now = self.clock()
        if now - self.last < 0.2:
            return
        self.last = now
        self.shown = True
        pct = 100 * self.fh.tell() / self.size if self.size else 100
        sys.stderr.write(f"\rx12: {pct:5.1f}% read, {transactions} transaction set(s), "
                         f"{claims} claim(s)")
        sys.stderr.flush()

    def done(self, claims: int, transactions: int) -> None:
        if self.shown:
            sys.stderr.write(f"\rx12: 100.0% read, {transactions} transaction set(s), "
                             f"{claims} claim(s)\n")
            sys.stderr.flush()


def _source_and_progress(path: str) -> tuple[Any, _Progress | None]:
    if not sys.stderr.isatty():
        return path, None
    import os  # noqa: PLC0415

    try:
        size = os.path.getsize(path)
        if size < PROGRESS_MIN_BYTES:
            return path, None
        fh = open(path, "rb")  # noqa: SIM115 - closed by _run
    except OSError:
        return path, None  # the reader reports it the usual way
    return fh, _Progress(size, fh)


def _run(path: str, make_sink: Callable[[list[Interchange]], Any]) -> Any:
    """Stream ``path`` through a sink; the same results as ``parse_file``, in order."""
    from x12.errors import X12Error  # noqa: PLC0415
    from x12.gcpause import gc_paused  # noqa: PLC0415
    from x12.parse import parse_transaction, parser_for  # noqa: PLC0415
    from x12.reader import X12Reader  # noqa: PLC0415

    source, progress = _source_and_progress(path)
    reader = X12Reader(source)
    sink = make_sink(reader.interchanges)
    parse_errors: list[X12Error] = []
    balance_errors: list[Any] = []
    claims = transactions = 0
    era = None  # Era835Parser of the 835 being read
    segments: list[list[str]] | None = None  # segments of another kind of set being read
    claim_errors: list[Any] = []
    with gc_paused():
        try:
            for kind, ts, els, pos in reader.events():
                if kind == "seg":
                    if era is not None:
                        try:
                            done = era.feed(els, pos)  # type: ignore[arg-type]
                        except X12Error as exc:
                            parse_errors.append(exc)
                            sink.drop_claims()
                            era = None
                            continue
                        if done is not None:
                            claims += 1
                            sink.claim(done)
                            if era.claim_errors:
                                claim_errors += era.claim_errors
                            if progress is not None and not claims & 1023:
                                progress.tick(claims, transactions)
                    elif segments is not None:
                        segments.append(els)  # type: ignore[arg-type]
                elif kind == "start":
                    era = segments = None
                    claim_errors = []
                    parser = parser_for(ts.set_id)
                    if ts.set_id == "835":
                        from x12.parse.era_835 import Era835Parser  # noqa: PLC0415

                        try:
                            era = Era835Parser(ts, keep_claims=False)
                        except X12Error as exc:
                            parse_errors.append(exc)
                        else:
                            sink.begin_claims()
                    elif parser is not None:
                        segments = ts.segments  # ST; the rest is appended as it comes
                    else:  # unsupported: parse_transaction raises the usual error now
                        try:
                            parse_transaction(ts)
                        except X12Error as exc:
                            parse_errors.append(exc)
                elif era is not None:  # end of an 835
                    try:
                        done = era.flush()  # a set cut short (no SE) still has its last claim
                        if done is not None:
                            claims += 1
                            sink.claim(done)
                            claim_errors += era.claim_errors
                        rem = era.finish()
                    except X12Error as exc:
                        parse_errors.append(exc)
                        sink.drop_claims()
                    else:
                        rem.balance_errors = claim_errors + rem.balance_errors
                        balance_errors += rem.balance_errors
                        sink.transaction(ts.interchange, rem.to_dict())
                        transactions += 1
                    era = None
                elif segments is not None:  # end of another supported set
                    try:
                        parsed = parse_transaction(ts)
                    except X12Error as exc:
                        parse_errors.append(exc)
                    else:
                        sink.transaction(ts.interchange, parsed.to_dict())
                        transactions += 1
                    segments = None
                    if progress is not None:
                        progress.tick(claims, transactions)
        except X12Error as exc:  # unreadable input: what was read so far stands
            parse_errors.append(exc)
            sink.drop_claims()
        finally:
            if progress is not None:
                progress.fh.close()
    errors = sorted(reader.errors + parse_errors,
                    key=lambda e: e.position if e.position is not None else 0)
    sink.finish(errors, balance_errors, list(reader.warnings))
    if progress is not None:
        progress.done(claims, transactions)
    return sink


def _parse(path: str, *, ndjson: bool = False) -> int:
    out = sys.stdout
    try:
        _run(path, lambda isas: _JsonSink(out, isas, ndjson=ndjson))
        out.flush()
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        import os  # noqa: PLC0415

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())  # so the flush at exit does not complain again
    return 0


def _check(path: str) -> int:
    sink = _run(path, _CheckSink)
    for line in sink.problems:
        print(line)
    for line in sink.warnings:  # read, but worth a look (e.g. a non-UTF-8 byte)
        print(f"warning: {line}")
    if not sink.problems:
        print(f"OK: {len(sink.interchanges)} interchange(s), "
              f"{sink.transactions} transaction set(s)")
    return 1 if sink.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m x12", description="X12 5010 tools")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="print the file as JSON, written as it is read")
    p.add_argument("file")
    p.add_argument("--ndjson", action="store_true",
                   help="one line per transaction set ({'interchange', 'transaction'}), "
                        "then one line per error ({'error'})")
    c = sub.add_parser("check", help="exit 0 when well-formed and balanced, else 1")
    c.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "parse":
        return _parse(args.file, ndjson=args.ndjson)
    return _check(args.file)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
