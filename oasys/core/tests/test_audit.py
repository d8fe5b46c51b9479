import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from oasys.core.audit import AuditContext, audit_record, audit_verify
from oasys.core.models import AuditEvent
from oasys.core.tests.audit_tamper import append_only_triggers, tamper

pytestmark = pytest.mark.django_db


def _record(n, practice_id=1):
    ctx = AuditContext(user_id=7, user_email="a@b.example", practice_id=practice_id,
                       source_ip="10.0.0.1")
    return [
        audit_record(ctx=ctx, action="read", category="demographics", client_id=i,
                     object_type="Client", object_id=i)
        for i in range(n)
    ]


def test_chain_links_each_row_to_the_previous():
    events = _record(3)
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert [e.seq for e in events] == [1, 2, 3]
    assert audit_verify() is None


def test_rows_cannot_be_changed_or_deleted_through_the_app():
    event = _record(1)[0]
    event.outcome = "denied"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(outcome="denied")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()




def test_verify_names_the_first_broken_link_after_raw_tampering():
    events = _record(5)
    tamper("UPDATE core_auditevent SET client_id_ref = %s WHERE seq = %s", [999, 3])
    broken = audit_verify()
    assert broken is not None and broken.seq == 3
    assert "hash" in broken.reason
    with pytest.raises(CommandError, match="row 3"):
        call_command("audit", "verify")
    assert events  # the rows before stay valid


def test_verify_detects_a_deleted_row():
    _record(4)
    tamper("DELETE FROM core_auditevent WHERE seq = %s", [2])
    broken = audit_verify()
    assert broken is not None and broken.seq == 2
    assert "missing" in broken.reason


@pytest.mark.parametrize("raw", [
    "UPDATE core_auditevent SET outcome = 'denied' WHERE seq = 2",
    "DELETE FROM core_auditevent WHERE seq = 2",
    "DELETE FROM core_auditevent",
])
def test_raw_sql_update_and_delete_are_refused_by_the_database(raw):
    """PostgreSQL (core 0002) and SQLite (core 0008) both refuse in the database itself."""
    _record(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(raw)
    assert AuditEvent.objects.count() == 2
    assert audit_verify() is None


def test_the_append_only_triggers_survive_every_migration():
    """A later migration that rebuilds the table on SQLite (Django copies it to a new table)
    would silently drop the triggers: this fails if one ever does."""
    expected = ({"oasys_audit_append_only"} if connection.vendor == "postgresql"
                else {"oasys_audit_no_update", "oasys_audit_no_delete"})
    assert append_only_triggers() == expected


def test_verify_command_reports_intact_chain(capsys):
    _record(3)
    call_command("audit", "verify")
    assert "3 rows verified" in capsys.readouterr().out
