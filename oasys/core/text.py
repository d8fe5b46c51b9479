"""Free text from people, made safe to search with."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def search_text(value: str | None, *, max_length: int = 100) -> str:
    """A search box's text without control characters (PostgreSQL refuses NUL outright),
    trimmed, and cut to a sane length."""
    return _CONTROL.sub("", value or "").strip()[:max_length]


_ID = re.compile(r"[0-9]{1,18}")


def parse_id(value: object) -> int | None:
    """A row id from a form or query string, or None. ASCII digits only: "²".isdigit() is
    True but int("²") fails, and an id too large for the database is no id."""
    text = str(value or "").strip()
    return int(text) if _ID.fullmatch(text) else None
