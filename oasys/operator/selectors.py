"""What the operator console shows of each practice: counts and sizes, never a client's
name (no PHI)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.files.storage import default_storage
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce, Length
from django.utils import timezone

from oasys.core.models import AuditEvent, Practice, Role, User

from .tables import file_fields, practice_tables


@dataclass
class PracticeOverview:
    practice: Practice
    users: int = 0
    active_users: int = 0
    last_login: dt.datetime | None = None
    last_event: dt.datetime | None = None
    uploads_bytes: int = 0
    edi_bytes: int = 0
    fees_this_month: Decimal = Decimal("0.00")
    owners: list[str] = field(default_factory=list)

    @property
    def last_activity(self) -> dt.datetime | None:
        seen = [t for t in (self.last_login, self.last_event) if t is not None]
        return max(seen) if seen else None

    @property
    def storage_bytes(self) -> int:
        return self.uploads_bytes + self.edi_bytes

    @property
    def status(self) -> str:
        if self.practice.delete_after is not None:
            return "deletion scheduled"
        return "suspended" if self.practice.is_suspended else "active"


def _uploads_bytes(practice: Practice) -> int:
    total = 0
    for table in practice_tables():
        for f in file_fields(table.model):
            for name in table.rows(practice).values_list(f.attname, flat=True):
                if name and default_storage.exists(name):
                    total += default_storage.size(name)
    return total


def practice_overview(*, practice: Practice) -> PracticeOverview:
    users = User.objects.filter(practice=practice).aggregate(
        n=Count("pk"), active=Count("pk", filter=Q(is_active=True)), last=Max("last_login"))
    last_event = (AuditEvent.objects.filter(practice_id_ref=practice.pk)
                  .order_by("-occurred_at").values_list("occurred_at", flat=True).first())
    edi = apps.get_model("clearinghouse", "EdiFile")  # by name: the operator sits above it
    fee = apps.get_model("eligibility", "UsageFee")
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0,
                                               microsecond=0)
    return PracticeOverview(
        practice=practice, users=users["n"], active_users=users["active"],
        last_login=users["last"], last_event=last_event,
        uploads_bytes=_uploads_bytes(practice),
        edi_bytes=edi.objects.filter(practice=practice).aggregate(
            n=Coalesce(Sum(Length("raw")), 0))["n"],
        fees_this_month=fee.objects.filter(practice=practice, occurred_at__gte=month_start)
        .aggregate(n=Coalesce(Sum("amount"), Decimal("0.00")))["n"],
        owners=list(User.objects.filter(practice=practice, role=Role.OWNER, is_active=True)
                    .order_by("email").values_list("email", flat=True)),
    )


def practices_overview() -> list[PracticeOverview]:
    return [practice_overview(practice=p) for p in Practice.objects.order_by("name", "pk")]


def practice_table_counts(*, practice: Practice) -> list[tuple[str, int]]:
    """Rows per table (the export's and the deletion's scope), non-empty ones."""
    out = []
    for table in practice_tables():
        n = table.rows(practice).count()
        if n:
            out.append((table.label, n))
    return out
