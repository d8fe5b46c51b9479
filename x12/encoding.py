"""Decoding X12 bytes: UTF-8 first, a documented single-byte reading for the rest.

Payers send X12 in UTF-8, in plain ASCII, and (often) in Windows-1252 or Latin-1 when a
name holds an accented letter.  One odd byte must never make a whole remittance unreadable,
so :class:`X12Decoder` decodes UTF-8 and reads every byte that is *not* part of a valid
UTF-8 sequence as **cp1252**; the five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F,
0x90, 0x9D) are read as **Latin-1** (the C1 control of the same code).  So ``0xC9`` alone
is ``É`` and ``0x80`` is ``€``.  Each such byte produces an :class:`X12Warning` with its
byte offset; the reader adds the segment number and element once it has split the text.

Decoding is incremental (chunk by chunk, a UTF-8 sequence split over two chunks is kept
until the next one) so memory stays bounded by one chunk.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

# lone surrogates produced by the "surrogateescape" handler for undecodable bytes
_ESCAPED = re.compile("[\udc80-\udcff]")


def single_byte_char(byte: int) -> str:
    """The character a byte that is not valid UTF-8 stands for (cp1252, else Latin-1)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D
        return bytes([byte]).decode("latin-1")


@dataclass(slots=True)
class X12Warning:
    """Something the reader read, but not exactly as written (never fatal).

    ``position`` is the segment number (ISA = 1) and ``element`` the element index in that
    segment (0 = segment id), both ``None`` when not known; ``byte_offset`` is the offset of
    the byte in the file (0-based).
    """

    message: str
    byte_offset: int | None = None
    position: int | None = None
    segment_id: str | None = None
    element: int | None = None
    found: str | None = None
    read_as: str | None = None
    # offset in the decoded text, used by the reader to find the segment
    char_offset: int = field(default=-1, repr=False, compare=False)

    def describe(self) -> str:
        parts: list[str] = []
        if self.position is not None:
            parts.append(f"segment {self.position}")
            if self.segment_id:
                parts.append(f"({self.segment_id})")
            if self.element is not None and self.segment_id:
                parts.append(f"element {self.segment_id}{self.element:02d}")
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        loc = " ".join(parts)
        return f"{loc}: {self.message}" if loc else self.message

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.describe(), "byte_offset": self.byte_offset,
                "position": self.position, "segment_id": self.segment_id,
                "element": self.element, "found": self.found, "read_as": self.read_as}


class X12Decoder:
    """Incremental bytes → str decoder (UTF-8, fallback cp1252/Latin-1 per byte).

    ``warnings`` collects one :class:`X12Warning` per byte read with the fallback, in file
    order, with ``byte_offset`` and ``char_offset`` (offset in the decoded text) set.
    """

    def __init__(self) -> None:
        self._dec = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self._fed = 0  # bytes given to the decoder
        self._done = 0  # bytes turned into text
        self._chars = 0  # characters produced
        self.warnings: list[X12Warning] = []

    def decode(self, data: bytes, final: bool = False) -> str:
        self._fed += len(data)
        text = self._dec.decode(data, final)
        start_byte = self._done
        self._done = self._fed - len(self._dec.getstate()[0])
        start_char = self._chars
        self._chars += len(text)
        if text.isascii() or not _ESCAPED.search(text):
            return text
        out: list[str] = []
        prev = 0
        byte_pos = start_byte
        for m in _ESCAPED.finditer(text):
            i = m.start()
            before = text[prev:i]
            out.append(before)
            byte_pos += len(before.encode("utf-8", "surrogateescape"))
            byte = ord(text[i]) - 0xDC00
            ch = single_byte_char(byte)
            out.append(ch)
            self.warnings.append(X12Warning(
                f"byte 0x{byte:02X} is not valid UTF-8; read as {ch!r} "
                f"(cp1252/Latin-1)", byte_offset=byte_pos, found=f"0x{byte:02X}",
                read_as=ch, char_offset=start_char + i))
            byte_pos += 1
            prev = i + 1
        out.append(text[prev:])
        return "".join(out)


def decode_x12(data: bytes) -> tuple[str, list[X12Warning]]:
    """Decode a whole file held in memory the way the reader does (BOM dropped).

    For callers that store the text (e.g. an upload form); the warnings carry byte offsets
    only — read the bytes with :class:`~x12.reader.X12Reader` to get segment numbers too.
    """
    dec = X12Decoder()
    text = dec.decode(data, final=True)
    return text.removeprefix("\ufeff"), dec.warnings
