"""Read a PDF back for tests, with no PDF library: the page objects, each page's content
stream decoded (ReportLab writes them ASCII85 + Flate), and the text its show-text
operators (Tj, TJ, ', ") paint. Enough for documents in the standard fonts, whose strings
are the text itself; it fails loudly on anything else rather than guessing."""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass

OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
STREAM = re.compile(rb"^(<<.*?>>)\s*stream\r?\n(.*?)\s*endstream$", re.S)
REF = re.compile(rb"/Contents\s+(\d+) 0 R")
KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")


@dataclass
class PdfDoc:
    pages: list[str]  # the text of each page, in page order

    @property
    def text(self) -> str:
        return "\n".join(self.pages)


def _decode(head: bytes, data: bytes) -> bytes:
    filters = re.findall(rb"/(ASCII85Decode|FlateDecode)", head)
    for name in filters:
        if name == b"ASCII85Decode":
            body = data.strip().removeprefix(b"<~").removesuffix(b"~>")
            data = base64.a85decode(body)
        else:
            data = zlib.decompress(data)
    return data


def _unescape(raw: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C:  # backslash
            i += 1
            nxt = raw[i:i + 1]
            if nxt.isdigit():
                digits = re.match(rb"[0-7]{1,3}", raw[i:]).group()
                out.append(int(digits, 8))
                i += len(digits)
                continue
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(
                nxt, nxt)
        else:
            out.append(c)
        i += 1
    return out.decode("cp1252")


STRING = rb"\((?:\\.|[^\\)])*\)"
# What a text block does, in order: show a string (Tj, or ' and " which move to the next line
# first), show an array of strings (TJ), or move to a new line (T*, Td, TD, Tm).
OPS = re.compile(rb"(" + STRING + rb")\s*(Tj|'|\")|\[((?:" + STRING + rb"|[^\]])*)\]\s*TJ"
                 rb"|(?<![\w)])(T\*|Td|TD|Tm)(?!\w)", re.S)


def _page_text(content: bytes) -> str:
    """Each text line on its own line: strings shown one after another without a move
    between them are one run of text (ReportLab splits a line at markup and font changes)."""
    lines: list[str] = []
    for block in re.findall(rb"\bBT\b(.*?)\bET\b", content, re.S):
        current = ""
        for single, op, array, move in OPS.findall(block):
            if move or op in (b"'", b'"'):
                if current:
                    lines.append(current)
                current = ""
            if single:
                current += _unescape(single[1:-1])
            elif array:
                current += "".join(_unescape(s[1:-1]) for s in re.findall(STRING, array))
        if current:
            lines.append(current)
    return "\n".join(lines)


def pdf_read(data: bytes) -> PdfDoc:
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), "not a PDF"
    objects = {int(num): body for num, body in OBJ.findall(data)}
    assert objects, "no objects"
    root_pages = [body for body in objects.values() if re.search(rb"/Type\s*/Pages\b", body)]
    assert len(root_pages) == 1, "one page tree expected"
    order = [int(n) for n in re.findall(rb"(\d+) 0 R", KIDS.search(root_pages[0]).group(1))]
    pages = []
    for num in order:
        page = objects[num]
        assert re.search(rb"/Type\s*/Page\b", page), f"object {num} is not a page"
        content = STREAM.match(objects[int(REF.search(page).group(1))])
        assert content, f"page {num} has no content stream"
        pages.append(_page_text(_decode(content.group(1), content.group(2))))
    return PdfDoc(pages=pages)
