"""Reads of core data every app may show: the emails the practice sent (Billing → Outbox,
and the "emails sent" of an invoice's page)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken, Practice, Role, SentEmail, User


def sent_email_list(*, practice: Practice, object_type: str = "", object_id: Any = "",
                    client_id: int | None = None, kind: str = "") -> QuerySet[SentEmail]:
    """The practice's recorded emails, newest first; narrowed to what they are about
    (`object_type` with `object_id`, e.g. "Invoice", 12), to one client, or to one kind."""
    qs = SentEmail.objects.filter(practice=practice)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id not in ("", None):
        qs = qs.filter(object_id=str(object_id))
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The tokens `user` may see: their own; an owner sees every token of the practice."""
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if user.role == Role.OWNER and user.practice_id is not None:
        return qs.filter(user__practice_id=user.practice_id)
    return qs.filter(user=user)
