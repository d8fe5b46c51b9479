"""Streaming X12 reader.

The reader takes a file object (binary or text), bytes, or a path, reads it in chunks and
yields :class:`TransactionSet` objects one at a time, so memory use is bounded by the size
of one transaction set whatever the size of the file.  It accepts a UTF-8 BOM, CR/LF (or
nothing) between segments, leading indentation and several interchanges (each with its own
delimiters), groups and transaction sets in one file.  Files wrapped at a fixed width are
joined back while streaming (CR/LF dropped when the terminator is not a line break); bytes
that are not UTF-8 are read as cp1252/Latin-1 with an :class:`~x12.encoding.X12Warning` in
:attr:`X12Reader.warnings` (see :mod:`x12.encoding`).

Envelope problems (SE/GE/IEA counts and control numbers, missing trailers, segments
outside a transaction set) are collected in :attr:`X12Reader.errors` (and, for the ones
about one transaction set, in :attr:`TransactionSet.errors`); with ``strict=True`` the
first one is raised instead.  A file whose ISA cannot be read (or that does not start with
one) raises :class:`~x12.errors.DelimiterError`; X12 versions before 5010 (ISA12, GS08,
ST03) raise :class:`~x12.errors.UnsupportedVersionError`.
"""

from __future__ import annotations

import io
import os
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import BinaryIO, TextIO

from x12.delimiters import LINE_BREAKS, Delimiters, find_isa_delimiters
from x12.encoding import X12Decoder, X12Warning
from x12.errors import (
    DelimiterError,
    EnvelopeError,
    UnsupportedVersionError,
    X12Error,
    X12SyntaxError,
)

CHUNK_SIZE = 1 << 16
MAX_WARNINGS = 10_000  # keeps memory bounded for a file written wholly in cp1252
Source = BinaryIO | TextIO | bytes | str | os.PathLike[str]


def check_version(value: str, *, position: int, segment_id: str, element: int) -> None:
    """Refuse versions before 5010 (ISA12 ``00401``, GS08/ST03 ``004010X091A1`` ...).

    Their loops, codes and ISA11 differ from 5010, so reading them as 5010 would give
    wrong results; the error names the version found.
    """
    v = value.strip()
    if segment_id == "ISA":
        if not (len(v) == 5 and v.isdigit()) or v >= "00501":
            return
        name = v[2] + v[3:5] + "0"  # 00401 -> 4010
    else:
        if not (len(v) >= 6 and v[:6].isdigit()) or v[:6] >= "005010":
            return
        name = v[2:6]  # 004010X091A1 -> 4010
    raise UnsupportedVersionError(f"X12 {name} is not supported (only 5010 is)",
                                  position=position, segment_id=segment_id, element=element,
                                  expected="5010", found=v)


def element(els: list[str], index: int) -> str:
    """Element ``index`` of a segment (``els[0]`` is the segment id), '' when absent."""
    return els[index] if index < len(els) else ""


@dataclass(slots=True)
class Interchange:
    """Header data of one ISA/IEA interchange."""

    sender_qualifier: str
    sender: str
    receiver_qualifier: str
    receiver: str
    date: str
    time: str
    version: str
    control_number: str
    usage: str
    position: int
    delimiters: Delimiters
    group_count: int = 0
    closed: bool = False


@dataclass(slots=True)
class FunctionalGroup:
    """Header data of one GS/GE functional group."""

    functional_id: str
    sender: str
    receiver: str
    date: str
    time: str
    control_number: str
    version: str
    position: int
    transaction_count: int = 0


@dataclass(slots=True)
class TransactionSet:
    """The segments of one ST..SE transaction set (ST and SE included)."""

    segments: list[list[str]]
    start_position: int
    interchange: Interchange
    group: FunctionalGroup | None
    errors: list[X12Error] = field(default_factory=list)
    complete: bool = True

    @property
    def delimiters(self) -> Delimiters:
        return self.interchange.delimiters

    @property
    def set_id(self) -> str:
        return element(self.segments[0], 1)

    @property
    def control_number(self) -> str:
        return element(self.segments[0], 2)

    @property
    def implementation(self) -> str:
        return element(self.segments[0], 3) or (self.group.version if self.group else "")

    def position_of(self, index: int) -> int:
        return self.start_position + index


class X12Reader:
    """Read X12 interchanges from ``source`` and yield transaction sets.

    ``source`` may be a binary or text file object, ``bytes``, or a filesystem path
    (``str`` or ``os.PathLike``).  Use :meth:`from_text` for X12 held in a ``str``.
    """

    def __init__(self, source: Source, *, chunk_size: int = CHUNK_SIZE,
                 strict: bool = False) -> None:
        self._source = source
        self._chunk_size = max(16, int(chunk_size))
        self.strict = strict
        self.errors: list[X12Error] = []
        self.interchanges: list[Interchange] = []
        self.segment_count = 0
        #: encoding warnings (:class:`~x12.encoding.X12Warning`), in file order
        self.warnings: list[X12Warning] = []
        #: segments that held CR/LF because the file was wrapped (joined back)
        self.unwrapped_segments = 0
        #: warnings beyond MAX_WARNINGS (counted, summed up in one last warning)
        self.warnings_not_listed = 0
        self._pending: deque[X12Warning] = deque()
        self._sep = "*"

    @classmethod
    def from_text(cls, text: str, **kw: object) -> X12Reader:
        return cls(io.StringIO(text), **kw)  # type: ignore[arg-type]

    # -- chunks ---------------------------------------------------------------------------
    def _chunks(self) -> Iterator[str]:
        src = self._source
        if isinstance(src, bytes | bytearray):
            src = io.BytesIO(bytes(src))
        if isinstance(src, str | os.PathLike):
            try:
                fh = open(src, "rb")  # noqa: SIM115
            except OSError as exc:
                raise X12Error(f"cannot open {os.fspath(src)!r}: {exc.strerror}") from None
            with fh:
                yield from self._decode(fh)
            return
        yield from self._decode(src)  # type: ignore[arg-type]

    def _decode(self, fh: BinaryIO | TextIO) -> Iterator[str]:
        size = self._chunk_size
        first = True
        decoder = self._decoder = X12Decoder()
        while True:
            try:
                data = fh.read(size)
            except UnicodeDecodeError as exc:  # a text file object opened with an encoding
                raise X12SyntaxError(f"input cannot be decoded: {exc.reason}",
                                     found=exc.encoding) from None
            except OSError as exc:
                raise X12Error(f"cannot read input: {exc}") from None
            if isinstance(data, str):
                if first and data.startswith("\ufeff"):
                    data = data[1:]
                first = False
                if not data:
                    return
                yield data
                continue
            text = decoder.decode(data, final=not data)
            if decoder.warnings:
                self._pending.extend(decoder.warnings)
                decoder.warnings.clear()
            if text:
                yield text
            if not data:
                return

    # -- segments -------------------------------------------------------------------------
    def _place_warnings(self, raw: str, raw_start: int, els: list[str]) -> None:
        """Give the pending encoding warnings that fall in ``raw`` their segment/element."""
        pending = self._pending
        end = raw_start + len(raw) + 1  # the terminator belongs to the segment
        sep_count = 0
        while pending and pending[0].char_offset < end:
            w = pending.popleft()
            if len(self.warnings) >= MAX_WARNINGS:
                self.warnings_not_listed += 1
                continue
            w.position = max(self.segment_count, 1)
            w.segment_id = els[0][:3] if els else None
            rel = w.char_offset - raw_start
            if 0 <= rel <= len(raw):
                sep_count = raw.count(self._sep, 0, rel)
                w.element = sep_count
            self.warnings.append(w)

    def _flush_warnings(self) -> None:
        for w in self._pending:
            if len(self.warnings) >= MAX_WARNINGS:
                self.warnings_not_listed += 1
                continue
            w.position = self.segment_count or None
            self.warnings.append(w)
        self._pending.clear()
        if self.warnings_not_listed:
            self.warnings.append(X12Warning(
                f"{self.warnings_not_listed} more bytes that are not valid UTF-8 were read as "
                "cp1252/Latin-1 (not listed one by one)"))

    def segments(self) -> Iterator[tuple[list[str], Delimiters]]:
        """Yield ``(elements, delimiters)`` for each segment in the file, in order.

        When the segment terminator is not a line break, every CR/LF is dropped (files
        wrapped at a fixed width, the ISA included, are joined back); when it is one, a
        line break left inside a segment is an :class:`X12SyntaxError` naming the segment
        and element (and is removed from the value).
        """
        # (one generator, no wrapper: a generator layer costs ~10% per segment)
        chunks = self._chunks()
        buf = ""
        buf_base = 0  # offset of buf[0] in the decoded text (to place encoding warnings)
        eof = False
        valid_ids: dict[str, bool] = {}
        pending = self._pending
        while True:
            # expecting an ISA: find the delimiters
            while True:
                stripped = buf.lstrip().lstrip("\ufeff")
                buf_base += len(buf) - len(stripped)
                buf = stripped
                if not buf and eof:
                    self._flush_warnings()
                    return
                found = None
                if buf:
                    try:
                        found = find_isa_delimiters(buf, final=eof)
                    except DelimiterError as exc:
                        raise DelimiterError(exc.message, position=self.segment_count + 1,
                                             segment_id=exc.segment_id, element=exc.element,
                                             expected=exc.expected, found=exc.found) from None
                if found is not None:
                    break
                if eof:
                    raise DelimiterError("file ends inside an ISA segment",
                                         position=self.segment_count + 1, segment_id="ISA")
                chunk = next(chunks, None)
                if chunk is None:
                    eof = True
                else:
                    buf += chunk
            delims = found[0]
            term = delims.segment
            sep = self._sep = delims.element
            # a line-break terminator cannot be told from wrapping: then line breaks left
            # inside a segment are errors; otherwise they are wrapping and are dropped
            unwrap = term not in LINE_BREAKS
            tail = buf
            tail_base = buf_base
            restart = False
            while True:
                pieces = tail.split(term)
                new_tail = pieces.pop()
                # both decided once per batch, so clean files pay (almost) nothing per segment
                breaks = "\n" in tail or "\r" in tail
                starts = None
                if pending:
                    starts = list(accumulate((len(p) + 1 for p in pieces), initial=tail_base))
                for i, raw in enumerate(pieces):
                    seg = raw.strip()
                    if not seg:
                        continue
                    self.segment_count += 1
                    if breaks and ("\r" in seg or "\n" in seg):
                        els = self._join_lines(seg, sep, unwrap)
                    else:
                        els = seg.split(sep)
                    sid = els[0]
                    ok = valid_ids.get(sid)
                    if ok is None:
                        ok = valid_ids[sid] = (
                            2 <= len(sid) <= 3 and sid.isascii() and sid.isalnum()
                            and sid == sid.upper()
                        )
                    if starts is not None and pending:
                        self._place_warnings(raw, starts[i], els)
                    if not ok:
                        self._error(X12SyntaxError(
                            "invalid segment id", position=self.segment_count,
                            expected="2-3 upper-case letters/digits", found=sid[:20]))
                    yield els, delims
                    if sid == "IEA":
                        rest = pieces[i + 1:]
                        new_tail = term.join(rest) + term + new_tail if rest else new_tail
                        restart = True
                        break
                # new_tail is a suffix of tail (also after an IEA)
                tail_base += len(tail) - len(new_tail)
                tail = new_tail
                if restart:
                    buf = tail
                    buf_base = tail_base
                    break
                if eof:
                    seg = tail.strip()
                    if seg:
                        self.segment_count += 1
                        els = self._join_lines(seg, sep, unwrap)
                        if pending:
                            self._place_warnings(tail, tail_base, els)
                        yield els, delims
                    self._flush_warnings()
                    return
                chunk = next(chunks, None)
                if chunk is None:
                    eof = True
                else:
                    tail += chunk

    def _join_lines(self, seg: str, sep: str, unwrap: bool) -> list[str]:
        """Split a segment that may hold CR/LF: joined when the file is wrapped (the
        terminator is not a line break), else every value holding one is an error."""
        if "\r" not in seg and "\n" not in seg:
            return seg.split(sep)
        if unwrap:
            self.unwrapped_segments += 1
            return seg.replace("\r", "").replace("\n", "").split(sep)
        return self._line_break_error(seg.split(sep))

    def _line_break_error(self, els: list[str]) -> list[str]:
        """Report every value of a segment holding CR/LF, and return it without them."""
        sid = els[0].replace("\r", "").replace("\n", "")
        out = [sid]
        for index, value in enumerate(els):
            if "\r" in value or "\n" in value:
                self._error(X12SyntaxError(
                    "line break inside a value", position=self.segment_count,
                    segment_id=sid[:3], element=index, expected="no CR/LF in a value",
                    found=value[:40]))
            if index:
                out.append(value.replace("\r", "").replace("\n", ""))
        return out

    def _error(self, err: X12Error, ts: TransactionSet | None = None) -> None:
        if self.strict:
            raise err
        self.errors.append(err)
        if ts is not None:
            ts.errors.append(err)

    # -- transaction sets -----------------------------------------------------------------
    def __iter__(self) -> Iterator[TransactionSet]:
        return self.transactions()

    def transactions(self) -> Iterator[TransactionSet]:
        """Yield each transaction set (all its segments kept), checking the envelopes."""
        for _kind, ts, _els, _pos in self._events(keep=True):
            yield ts

    def events(self) -> Iterator[tuple[str, TransactionSet, list[str] | None, int]]:
        """Stream a file segment by segment without keeping the segments.

        Yields ``("start", ts, ST, pos)``, then ``("seg", ts, elements, pos)`` for every
        segment after ST up to and including SE, then ``("end", ts, None, pos)`` once the
        transaction set is closed (``ts.errors`` and ``ts.complete`` are final then).
        ``ts.segments`` holds only the ST segment.  Memory stays bounded by one segment.
        """
        return self._events(keep=False)

    def _events(self, keep: bool) -> Iterator[tuple[str, TransactionSet, list[str] | None, int]]:
        isa: Interchange | None = None
        gs: FunctionalGroup | None = None
        ts: TransactionSet | None = None
        segs: list[list[str]] = []
        count = 0
        envelope_ids = {"ISA", "IEA", "GS", "GE", "ST", "SE"}
        err = self._error
        for els, delims in self.segments():
            sid = els[0]
            if ts is not None and sid not in envelope_ids:
                count += 1
                if keep:
                    segs.append(els)
                else:
                    yield "seg", ts, els, self.segment_count
                continue
            pos = self.segment_count
            if ts is not None and sid in ("ISA", "GS", "ST", "GE", "IEA"):
                ts.complete = False
                err(EnvelopeError("transaction set has no SE trailer", position=pos,
                                  segment_id=sid, expected="SE"), ts)
                yield "end", ts, None, pos
                ts = None
            if sid == "ISA":
                if isa is not None and not isa.closed:
                    err(EnvelopeError("interchange has no IEA trailer", position=pos,
                                      segment_id="ISA", expected="IEA"))
                isa = self._start_interchange(els, delims, pos)
                gs = None
            elif sid == "GS":
                if isa is None:
                    err(EnvelopeError("GS outside an interchange", position=pos, segment_id="GS",
                                      expected="ISA"))
                    isa = self._dummy_interchange(delims, pos)
                if gs is not None:
                    err(EnvelopeError("functional group has no GE trailer", position=pos,
                                      segment_id="GS", expected="GE"))
                check_version(element(els, 8), position=pos, segment_id="GS", element=8)
                gs = FunctionalGroup(
                    element(els, 1), element(els, 2), element(els, 3), element(els, 4),
                    element(els, 5), element(els, 6), element(els, 8), pos)
                isa.group_count += 1
                if len(els) < 9:
                    err(X12SyntaxError("GS has too few elements", position=pos, segment_id="GS",
                                       element=len(els), expected="8 elements",
                                       found=len(els) - 1))
            elif sid == "ST":
                if isa is None:
                    err(EnvelopeError("ST outside an interchange", position=pos, segment_id="ST",
                                      expected="ISA"))
                    isa = self._dummy_interchange(delims, pos)
                if gs is None:
                    err(EnvelopeError("ST outside a functional group", position=pos,
                                      segment_id="ST", expected="GS"))
                else:
                    gs.transaction_count += 1
                check_version(element(els, 3), position=pos, segment_id="ST", element=3)
                segs = [els]
                count = 1
                ts = TransactionSet(segs, pos, isa, gs)
                if not keep:
                    yield "start", ts, els, pos
            elif sid == "SE":
                if ts is None:
                    err(EnvelopeError("SE without ST", position=pos, segment_id="SE",
                                      expected="ST"))
                    continue
                count += 1
                if keep:
                    segs.append(els)
                else:
                    yield "seg", ts, els, pos
                if element(els, 1) != str(count):
                    err(EnvelopeError("SE01 segment count does not match", position=pos,
                                      segment_id="SE", element=1, expected=str(count),
                                      found=element(els, 1)), ts)
                if element(els, 2) != ts.control_number:
                    err(EnvelopeError("SE02 does not match ST02", position=pos, segment_id="SE",
                                      element=2, expected=ts.control_number,
                                      found=element(els, 2)), ts)
                yield "end", ts, None, pos
                ts = None
            elif sid == "GE":
                if gs is None:
                    err(EnvelopeError("GE without GS", position=pos, segment_id="GE",
                                      expected="GS"))
                    continue
                if element(els, 1) != str(gs.transaction_count):
                    err(EnvelopeError("GE01 transaction set count does not match", position=pos,
                                      segment_id="GE", element=1,
                                      expected=str(gs.transaction_count), found=element(els, 1)))
                if element(els, 2) != gs.control_number:
                    err(EnvelopeError("GE02 does not match GS06", position=pos, segment_id="GE",
                                      element=2, expected=gs.control_number,
                                      found=element(els, 2)))
                gs = None
            elif sid == "IEA":
                if gs is not None:
                    err(EnvelopeError("functional group has no GE trailer", position=pos,
                                      segment_id="IEA", expected="GE"))
                    gs = None
                if isa is None:
                    err(EnvelopeError("IEA without ISA", position=pos, segment_id="IEA",
                                      expected="ISA"))
                    continue
                if element(els, 1) != str(isa.group_count):
                    err(EnvelopeError("IEA01 functional group count does not match",
                                      position=pos, segment_id="IEA", element=1,
                                      expected=str(isa.group_count), found=element(els, 1)))
                if element(els, 2) != isa.control_number:
                    err(EnvelopeError("IEA02 does not match ISA13", position=pos,
                                      segment_id="IEA", element=2, expected=isa.control_number,
                                      found=element(els, 2)))
                isa.closed = True
                isa = None
            elif sid == "TA1" and isa is not None:
                continue
            else:
                err(EnvelopeError("segment outside a transaction set", position=pos,
                                  segment_id=sid[:3], expected="ST"))
        pos = self.segment_count
        if ts is not None:
            ts.complete = False
            err(EnvelopeError("file ends inside a transaction set", position=pos,
                              expected="SE"), ts)
            yield "end", ts, None, pos
        if gs is not None:
            err(EnvelopeError("file ends inside a functional group", position=pos,
                              expected="GE"))
        if isa is not None and not isa.closed:
            err(EnvelopeError("file ends inside an interchange", position=pos, expected="IEA"))

    def _start_interchange(self, els: list[str], delims: Delimiters, pos: int) -> Interchange:
        check_version(element(els, 12), position=pos, segment_id="ISA", element=12)
        if len(els) != 17:
            self._error(X12SyntaxError("ISA must have 16 elements", position=pos,
                                       segment_id="ISA", expected=16, found=len(els) - 1))
        isa = Interchange(
            element(els, 5).strip(), element(els, 6).strip(), element(els, 7).strip(),
            element(els, 8).strip(), element(els, 9), element(els, 10), element(els, 12),
            element(els, 13), element(els, 15), pos, delims)
        if not (len(isa.control_number) == 9 and isa.control_number.isdigit()):
            self._error(X12SyntaxError("ISA13 must be 9 digits", position=pos, segment_id="ISA",
                                       element=13, expected="9 digits",
                                       found=isa.control_number))
        self.interchanges.append(isa)
        return isa

    def _dummy_interchange(self, delims: Delimiters, pos: int) -> Interchange:
        isa = Interchange("", "", "", "", "", "", "", "", "", pos, delims)
        self.interchanges.append(isa)
        return isa


def read_transactions(source: Source, *, strict: bool = False) -> Iterator[TransactionSet]:
    """Shortcut for ``X12Reader(source, strict=strict).transactions()``."""
    return X12Reader(source, strict=strict).transactions()
