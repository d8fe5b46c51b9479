"""The operator's actions on a practice: suspend, reactivate, export its data, schedule its
deletion (and cancel it), and delete the data once the grace period is over. Each is one
function that writes an audit row in the practice's own chain; none puts PHI in it (table
names and counts only)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import logging
import zipfile
from typing import IO

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditAction, Practice

from .tables import exported_fields, exported_tables, file_fields, practice_tables

log = logging.getLogger(__name__)


def _ctx(ctx: AuditContext, practice: Practice) -> AuditContext:
    # The operator has no practice; the row goes in the chain of the practice acted on.
    return dataclasses.replace(ctx, practice_id=practice.pk)


def _locked(practice: Practice) -> Practice:
    return Practice.objects.select_for_update().get(pk=practice.pk)


def practice_suspend(*, practice: Practice, ctx: AuditContext) -> Practice:
    """Its users can no longer log in or use the API (sessions end at their next request),
    and its periodic work stops. Conflict if it is suspended already."""
    with transaction.atomic():
        row = _locked(practice)
        if row.is_suspended:
            raise Conflict(f"{row.name} is suspended already.")
        row.suspended_at = timezone.now()
        row.save(update_fields=["suspended_at"])
        audit_record(ctx=_ctx(ctx, row), action=AuditAction.UPDATE, category="operator",
                     object_type="Practice", object_id=row.pk, detail={"suspended": True})
    return row


def practice_reactivate(*, practice: Practice, ctx: AuditContext) -> Practice:
    """Undo a suspension. Refused while a deletion is scheduled: cancel that first."""
    with transaction.atomic():
        row = _locked(practice)
        if row.delete_after is not None:
            raise Conflict("Its deletion is scheduled: cancel the deletion first.")
        if not row.is_suspended:
            raise Conflict(f"{row.name} is not suspended.")
        row.suspended_at = None
        row.save(update_fields=["suspended_at"])
        audit_record(ctx=_ctx(ctx, row), action=AuditAction.UPDATE, category="operator",
                     object_type="Practice", object_id=row.pk, detail={"suspended": False})
    return row


def practice_delete_schedule(*, practice: Practice, confirm_slug: str,
                             ctx: AuditContext) -> Practice:
    """Schedule the deletion of all the practice's data after the grace period
    (PRACTICE_DELETE_GRACE_DAYS); the practice is suspended meanwhile. The operator types
    the practice's slug to confirm: anything else is refused, changing nothing."""
    if (confirm_slug or "").strip() != practice.slug:
        raise InvalidInput(errors={"confirm_slug": f"Type the practice's slug "
                                                   f"({practice.slug}) to confirm."})
    with transaction.atomic():
        row = _locked(practice)
        if row.delete_after is not None:
            raise Conflict(f"Its deletion is scheduled already, for {row.delete_after:%Y-%m-%d}.")
        now = timezone.now()
        row.delete_after = now + dt.timedelta(days=settings.PRACTICE_DELETE_GRACE_DAYS)
        row.suspended_at = row.suspended_at or now
        row.save(update_fields=["delete_after", "suspended_at"])
        audit_record(ctx=_ctx(ctx, row), action=AuditAction.UPDATE, category="operator",
                     object_type="Practice", object_id=row.pk,
                     detail={"delete_after": row.delete_after.isoformat()})
    return row


def practice_delete_cancel(*, practice: Practice, ctx: AuditContext) -> Practice:
    """Cancel a scheduled deletion during its grace period. The practice stays suspended
    until the operator reactivates it."""
    with transaction.atomic():
        row = _locked(practice)
        if row.delete_after is None:
            raise Conflict("No deletion is scheduled.")
        row.delete_after = None
        row.save(update_fields=["delete_after"])
        audit_record(ctx=_ctx(ctx, row), action=AuditAction.UPDATE, category="operator",
                     object_type="Practice", object_id=row.pk,
                     detail={"delete_cancelled": True})
    return row


# --- export ---------------------------------------------------------------------------------
def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def practice_export(*, practice: Practice, out: IO[bytes], ctx: AuditContext) -> dict[str, int]:
    """Write a zip of the practice's data to `out`: one CSV per table (`tables/<app>.<Model>
    .csv`, foreign keys as ids, secrets left out), its EDI files as they were sent and
    received (`edi/`), its uploaded files (`files/`) and email attachments (`binary/`), and
    a manifest. Answers the rows per table, which the audit row records too."""
    counts: dict[str, int] = {}
    edi_model = apps.get_model("clearinghouse", "EdiFile")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table in exported_tables():
            fields = exported_fields(table)
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow([f.attname for f in fields])
            n = 0
            for obj in table.rows(practice).order_by("pk").iterator(2000):
                row = []
                for f in fields:
                    value = getattr(obj, f.attname)
                    if isinstance(f, models.BinaryField) and value is not None:
                        name = f"binary/{table.label}/{obj.pk}-{f.name}"
                        zf.writestr(name, bytes(value))
                        value = name
                    elif isinstance(f, models.FileField):
                        value = _file_into(zf, value.name if value else "")
                    elif table.model is edi_model and f.name == "raw":
                        name = f"edi/{obj.pk}-{obj.direction}-{obj.label or obj.set_id}.x12"
                        zf.writestr(name, value)
                        value = name
                    row.append(_cell(value))
                writer.writerow(row)
                n += 1
            zf.writestr(f"tables/{table.label}.csv", buf.getvalue())
            counts[table.label] = n
        zf.writestr("manifest.json", json.dumps({
            "practice": {"id": practice.pk, "slug": practice.slug, "name": practice.name},
            "exported_at": timezone.now().isoformat(), "rows": counts}, indent=2))
    audit_record(ctx=_ctx(ctx, practice), action=AuditAction.EXPORT, category="operator",
                 object_type="Practice", object_id=practice.pk,
                 detail={"rows": sum(counts.values()), "tables": len(counts)})
    return counts


def _file_into(zf: zipfile.ZipFile, name: str) -> str:
    """Copy one stored upload into the zip; the CSV cell names where it went ('' if the
    file is gone from storage)."""
    if not name or not default_storage.exists(name):
        return ""
    with default_storage.open(name, "rb") as fh:
        zf.writestr(f"files/{name}", fh.read())
    return f"files/{name}"


# --- deletion -------------------------------------------------------------------------------
def practice_purge(*, practice: Practice, ctx: AuditContext) -> dict[str, int]:
    """Delete every row of the practice in every table, its uploaded files and the practice
    itself, in one transaction. Only for a practice whose deletion is due. The audit log
    keeps its rows (ids only, no PHI): they record what happened, including this.

    Rows go by raw DELETE, table by table: Django's cascade would refuse the PROTECT links
    between the practice's own rows, and the journal's model refuses deletes (it is append-
    only while the practice exists). Foreign keys are checked before the commit, so a row
    of another practice still pointing here fails the whole deletion, changing nothing."""
    with transaction.atomic():
        row = _locked(practice)
        if row.delete_after is None or row.delete_after > timezone.now():
            raise Conflict("This practice's deletion is not due.")
        counts: dict[str, int] = {}
        files: list[str] = []
        # Tables reached through others first (a user's tokens before the user): their
        # lookup joins through rows that must still be there.
        for table in sorted(practice_tables(), key=lambda t: -t.path.count("__")):
            qs = table.rows(row)
            for f in file_fields(table.model):
                files.extend(n for n in qs.values_list(f.attname, flat=True) if n)
            counts[table.label] = qs._raw_delete(qs.db)
        Practice.objects.filter(pk=row.pk)._raw_delete(Practice.objects.db)
        connection.check_constraints()
        audit_record(ctx=_ctx(ctx, row), action=AuditAction.DELETE, category="operator",
                     object_type="Practice", object_id=row.pk,
                     detail={"slug": row.slug, "rows": {k: v for k, v in counts.items() if v},
                             "files": len(files)})
        transaction.on_commit(lambda: [default_storage.delete(n) for n in files])
    return counts


def practices_purge_due(*, now: dt.datetime | None = None) -> list[int]:
    """The periodic task's body: delete every practice whose grace period has passed.
    Answers the ids deleted; one that fails is left for the next run (and logged)."""
    now = now or timezone.now()
    done = []
    for practice in Practice.objects.filter(delete_after__lte=now).order_by("pk"):
        try:
            practice_purge(practice=practice,
                           ctx=AuditContext.system(practice_id=practice.pk, source="operator"))
        except Exception:  # one practice's failure must not stop the others
            log.exception("deleting practice %s failed; it is tried again next run",
                          practice.pk)
            continue
        done.append(practice.pk)
    return done
