"""Reads of core data every app may show: the emails the practice sent (Billing → Outbox,
and the "emails sent" of an invoice's page), API tokens, and the audit log for its owner."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from .models import ApiToken, AuditEvent, Practice, Role, SentEmail, User


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


def audit_event_list(*, practice: Practice, client_id: int | None = None,
                     user_id: int | None = None, date_from: dt.date | None = None,
                     date_to: dt.date | None = None) -> QuerySet[AuditEvent]:
    """The practice's audit events, newest first; narrowed to those naming one client (as
    the row's client, or among the clients a list page showed), one user, and dates (in
    the active time zone, the practice's on its pages)."""
    qs = AuditEvent.objects.filter(practice_id_ref=practice.pk)
    if client_id is not None:
        # A list page's row names its clients in detail["client_ids"]; matched as text so it
        # works on SQLite (no JSON containment there) and PostgreSQL alike.
        listed = rf'"client_ids": \[([0-9]+, )*{int(client_id)}[],]'
        qs = qs.annotate(detail_text=Cast("detail", TextField())).filter(
            Q(client_id_ref=client_id) | Q(detail_text__regex=listed))
    if user_id is not None:
        qs = qs.filter(user_id_ref=user_id)
    if date_from is not None:
        qs = qs.filter(occurred_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(occurred_at__date__lte=date_to)
    return qs.order_by("-occurred_at", "-pk")
