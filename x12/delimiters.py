"""Delimiters of an interchange, read from (or written into) its ISA segment."""

from __future__ import annotations

from dataclasses import dataclass

from x12.errors import DelimiterError

ISA_LENGTH = 106  # fixed-width ISA segment, terminator included
LINE_BREAKS = "\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    repetition: str = "^"
    component: str = ":"
    segment: str = "~"

    def all(self) -> tuple[str, ...]:
        return (self.element, self.repetition, self.component, self.segment)

    def check(self) -> None:
        names = ("element separator", "repetition separator (ISA11)",
                 "component separator (ISA16)", "segment terminator")
        chars = self.all()
        for name, ch in zip(names, chars, strict=True):
            if len(ch) != 1:
                raise DelimiterError(f"{name} must be exactly one character", found=ch)
            if ch.isalnum() or ch == " ":
                raise DelimiterError(f"{name} must not be a letter, digit or space", found=ch)
            if ch in LINE_BREAKS and name != "segment terminator":
                # line breaks are dropped when unwrapping, so only the terminator may be one
                raise DelimiterError(f"{name} must not be a line break", found=ch)
        for a in range(4):
            for b in range(a + 1, 4):
                if chars[a] == chars[b]:
                    raise DelimiterError(f"{names[a]} and {names[b]} must differ",
                                         found=chars[a])


DEFAULT_DELIMITERS = Delimiters()


def find_isa_delimiters(text: str, start: int = 0, *,
                        final: bool = True) -> tuple[Delimiters, int] | None:
    """Read the delimiters of the ISA that begins at ``text[start]``.

    CR/LF inside the ISA are skipped (payers wrap files at 60/80/132 columns, the ISA
    included).  Returns ``(delimiters, end)`` where ``end`` is the index just after the ISA
    segment terminator, or ``None`` when ``text`` is too short to hold the whole ISA yet
    (``final=False``: more text may follow, needed when the ISA ends with a line break).
    Raises :class:`DelimiterError` when the text does not start with a usable ISA, or when
    two delimiters clash (ISA11 repetition, ISA16 component, element separator, segment
    terminator must be four different characters).
    """
    n = len(text)
    i = start
    got: list[str] = []  # ISA characters up to ISA16, line breaks left out
    sep = ""
    seps = 0
    since = 0  # characters since the last separator
    component = ""
    while i < n:
        c = text[i]
        i += 1
        if c in LINE_BREAKS:
            continue
        got.append(c)
        k = len(got)
        if k <= 3:
            if c != "ISA"[k - 1]:
                head = text[start:start + 20]
                # (found is shown with repr(), which escapes control characters)
                hint = " (the file looks like UTF-16)" if head[:2] in ("\xff\xfe", "\xfe\xff") \
                    else ""
                raise DelimiterError("no ISA segment at the start" + hint, position=1,
                                     expected="ISA", found=head)
            continue
        if k == 4:
            sep = c
            seps = 1
            continue
        if seps == 16:
            component = c
            break
        if c == sep:
            seps += 1
            since = 0
        else:
            since += 1
            if since > 200:
                raise DelimiterError("ISA does not have 16 elements", position=1,
                                     segment_id="ISA", element=seps,
                                     expected=f"16 elements separated by {sep!r}")
    if not component or i >= n:
        return None
    isa_text = "".join(got[:-1])
    elements = isa_text.split(sep)
    segment = text[i]
    end = i + 1
    if segment in LINE_BREAKS:
        # either the terminator is a line break, or the file is wrapped right after ISA16
        # and the terminator is the first character of the next line
        k = i
        while k < n and text[k] in LINE_BREAKS:
            k += 1
        if k >= n and not final:
            return None  # the next chunk tells which
        nxt = text[k] if k < n else "A"
        if not (nxt.isalnum() or nxt.isspace()) and nxt not in (sep, component):
            segment = nxt
            end = k + 1
    repetition = elements[11] if len(elements) > 11 else ""
    if len(repetition) != 1 or repetition.isalnum():
        # before 5010, ISA11 is the standards identifier ("U"), not a delimiter (the reader
        # refuses such versions with a clear message); many 5010 senders still put the "U"
        # there, which means "no repetition separator", not a broken file
        repetition = next(c for c in "^`!{}|" if c not in (sep, component, segment))
    delims = Delimiters(sep, repetition, component, segment)
    try:
        delims.check()
    except DelimiterError as exc:
        raise DelimiterError(exc.message, position=1, segment_id="ISA",
                             element=11 if "ISA11" in exc.message else 16,
                             found=exc.found) from None
    return delims, end
