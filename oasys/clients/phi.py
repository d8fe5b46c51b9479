"""Recording reads of PHI. Screens and API routes call this for every page of client data
they disclose: one row per category shown, ids and counts only, never names or codes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction


def phi_read(
    request: HttpRequest,
    *,
    categories: Iterable[str],
    client_id: int | None = None,
    object_type: str = "",
    object_id: Any = "",
    count: int | None = None,
    client_ids: Iterable[int] | None = None,
) -> None:
    """Audit that the request's user was shown `categories` of one client (or, with `count`
    and no client, a list of that many rows)."""
    ctx = AuditContext.from_request(request)
    detail: dict[str, Any] | None = {"count": count} if count is not None else None
    if client_ids is not None:
        # A list names every client it disclosed, by id, so "who saw client X" has an answer.
        detail = {**(detail or {}), "client_ids": sorted(set(client_ids))}
    for category in dict.fromkeys(categories):  # de-duplicated, order kept
        audit_record(
            ctx=ctx,
            action=AuditAction.READ,
            category=category,
            client_id=client_id,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )


def picker_client_ids(form: Form, field: str = "client") -> list[int]:
    """The clients a form's client picker lists by name: a page that shows the picker
    disclosed them, so its read row names them too (one query, ids only)."""
    queryset = getattr(form.fields.get(field), "queryset", None)
    if not isinstance(queryset, QuerySet):
        return []
    return list(queryset.order_by().values_list("pk", flat=True))
