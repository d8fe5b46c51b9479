"""Free text from people, made safe to search with."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def search_text(value: str | None, *, max_length: int = 100) -> str:
    """A search box's text without control characters (PostgreSQL refuses NUL outright),
    trimmed, and cut to a sane length."""
    return _CONTROL.sub("", value or "").strip()[:max_length]
