"""Exception hierarchy of the x12 package.

Every error the library raises is an :class:`X12Error`.  Errors carry where the problem
is (segment position in the file, segment id, element index) and what was expected, so
that ``str(error)`` reads like ``segment 12 (SE) element SE01: expected '10', found '11'``.
"""

from __future__ import annotations

from typing import Any


class X12Error(Exception):
    """Base class of every error raised by the x12 package."""

    def __init__(
        self,
        message: str,
        *,
        position: int | None = None,
        segment_id: str | None = None,
        element: int | None = None,
        expected: Any = None,
        found: Any = None,
    ) -> None:
        self.message = message
        self.position = position
        self.segment_id = segment_id
        self.element = element
        self.expected = expected
        self.found = found
        super().__init__(self.describe())

    def location(self) -> str:
        parts: list[str] = []
        if self.position is not None:
            parts.append(f"segment {self.position}")
        if self.segment_id:
            parts.append(f"({self.segment_id})" if parts else f"segment {self.segment_id}")
        if self.element is not None:
            parts.append(f"element {self.segment_id or ''}{self.element:02d}")
        return " ".join(parts)

    def describe(self) -> str:
        text = self.message
        if self.expected is not None:
            text += f": expected {self.expected!r}"
            if self.found is not None:
                text += f", found {self.found!r}"
        elif self.found is not None:
            text += f": found {self.found!r}"
        loc = self.location()
        return f"{loc}: {text}" if loc else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": type(self).__name__,
            "message": self.describe(),
            "position": self.position,
            "segment_id": self.segment_id,
            "element": self.element,
            "expected": None if self.expected is None else str(self.expected),
            "found": None if self.found is None else str(self.found),
        }


class DelimiterError(X12Error):
    """The ISA header is missing or does not define usable delimiters."""


class X12SyntaxError(X12Error):
    """A segment or element is malformed (bad id, bad number, bad date, bad encoding)."""


class UnsupportedVersionError(X12Error):
    """The interchange is in an X12 version the library does not read (e.g. 4010)."""


class EnvelopeError(X12Error):
    """ISA/IEA, GS/GE or ST/SE envelope is inconsistent (counts, control numbers, nesting)."""


class ParseError(X12Error):
    """A transaction set does not have the structure its parser needs."""


class BuildError(X12Error):
    """Input given to a builder cannot be written as valid X12."""


class ValidationError(X12Error):
    """A structural validator (e.g. :mod:`x12.validate_270`) found a problem."""
