"""What every API router shares: the refusal body and the one pagination style.

Pagination (every list route): query parameters `page` (1-based, default 1; past the end
answers the last page) and `page_size` (default per route, clamped to 1..the route's
maximum). The answer is the envelope

    {"count": <rows in the whole list>, "page": <page answered>, "page_size": <size used>,
     "items": [...]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

from .errors import InvalidInput
from .feedback import Refusal, error_messages

MAX_PAGE_SIZE = 100
# A row id in a request body: what the database can hold (a 64-bit integer), so a larger
# number is a 422 on every database instead of a 500 or a silent miss.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorsOut(Schema):
    errors: dict[str, str]


class PageOut(Schema):
    """The envelope's counters; a list route's schema adds `items: list[ItemOut]`."""

    count: int
    page: int
    page_size: int


def errors_body(exc: Refusal) -> dict[str, dict[str, str]]:
    return {"errors": error_messages(exc)}


def paginate(
    rows: QuerySet | Sequence[Any], *, page: int, page_size: int, max_size: int = MAX_PAGE_SIZE
) -> tuple[list, dict[str, int]]:
    """One page of `rows` and the envelope's counters ({"count", "page", "page_size"})."""
    size = max(1, min(page_size, max_size))
    paginator = Paginator(rows, size)
    current = paginator.get_page(page)
    meta = {"count": paginator.count, "page": current.number, "page_size": size}
    return list(current.object_list), meta


def page_body(
    rows: QuerySet | Sequence[Any], *, page: int, page_size: int, max_size: int = MAX_PAGE_SIZE
) -> dict[str, Any]:
    """The whole envelope: {"count", "page", "page_size", "items"}."""
    items, meta = paginate(rows, page=page, page_size=page_size, max_size=max_size)
    return {**meta, "items": items}


def optional_body_checked(request: HttpRequest) -> None:
    """Refuse (422) a body that is not a JSON object, for a route whose body is optional:
    ninja reads such a body (a number, a list) as no body at all and would go ahead."""
    if not request.body.strip() or "json" not in request.content_type:
        return
    try:
        value = json.loads(request.body)
    except ValueError:
        return  # ninja answers malformed JSON itself
    if value is not None and not isinstance(value, dict):
        raise InvalidInput({"__all__": "The body must be a JSON object (or left out)."})
