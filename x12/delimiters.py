"""Delimiters of an interchange, read from (or written into) its ISA segment."""

from __future__ import annotations

from dataclasses import dataclass

from x12.errors import DelimiterError

ISA_LENGTH = 106  # fixed-width ISA segment, terminator included


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"

    def all(self) -> tuple[str, ...]:
        return (self.element, self.repetition, self.component, self.segment)

    def check(self) -> None:
        chars = self.all()
        for ch in chars:
            if len(ch) != 1:
                raise DelimiterError("delimiter must be exactly one character", found=ch)
            if ch.isalnum() or ch == " ":
                raise DelimiterError("delimiter must not be a letter, digit or space", found=ch)
        if len(set(chars)) != 4:
            raise DelimiterError("delimiters must be four distinct characters",
                                 found="".join(chars))


DEFAULT_DELIMITERS = Delimiters()


def find_isa_delimiters(text: str, start: int = 0) -> tuple[Delimiters, int] | None:
    """Read the delimiters of the ISA that begins at ``text[start]``.

    Returns ``(delimiters, end)`` where ``end`` is the index just after the ISA segment
    terminator, or ``None`` when ``text`` is too short to hold the whole ISA yet.
    Raises :class:`DelimiterError` when the text does not start with a usable ISA.
    """
    if len(text) - start < 4:
        if not "ISA".startswith(text[start:start + 3]):
            raise DelimiterError("file does not start with an ISA segment", position=1,
                                 expected="ISA", found=text[start:start + 3])
        return None
    if text[start:start + 3] != "ISA":
        raise DelimiterError("interchange does not start with an ISA segment", position=1,
                             expected="ISA", found=text[start:start + 3])
    sep = text[start + 3]
    pos = start + 3
    for count in range(2, 17):
        nxt = text.find(sep, pos + 1, pos + 1 + 200)
        if nxt < 0:
            if len(text) - pos > 200:
                raise DelimiterError("ISA does not have 16 elements", position=1, segment_id="ISA",
                                     element=count, expected=f"16 elements separated by {sep!r}")
            return None
        pos = nxt
    # pos is the 16th separator; ISA16 follows, then the terminator
    if len(text) < pos + 3:
        return None
    component = text[pos + 1]
    segment = text[pos + 2]
    isa_text = text[start:pos + 2]
    elements = isa_text.split(sep)
    repetition = elements[11] if len(elements) > 12 else "^"
    if (len(repetition) != 1 or repetition.isalnum() or repetition == " "
            or repetition in (sep, component, segment)):
        # 4010-style ISA11 ("U"), or a repetition separator equal to another delimiter:
        # treat repetition as unused and pick a character that cannot clash
        repetition = next(c for c in "^~`!{}" if c not in (sep, component, segment))
    delims = Delimiters(sep, repetition, component, segment)
    try:
        delims.check()
    except DelimiterError as exc:
        raise DelimiterError(exc.message, position=1, segment_id="ISA", element=16,
                             found=exc.found) from None
    return delims, pos + 3
