import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from oasys.core.audit import AuditContext, audit_record, audit_verify
from oasys.core.models import AuditEvent

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


def _tamper(sql, params):
    """Edit the table behind the app's back, as a database superuser could."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER oasys_audit_append_only")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditevent ENABLE TRIGGER oasys_audit_append_only")


def test_verify_names_the_first_broken_link_after_raw_tampering():
    events = _record(5)
    _tamper("UPDATE core_auditevent SET client_id_ref = %s WHERE seq = %s", [999, 3])
    broken = audit_verify()
    assert broken is not None and broken.seq == 3
    assert "hash" in broken.reason
    with pytest.raises(CommandError, match="row 3"):
        call_command("audit", "verify")
    assert events  # the rows before stay valid


def test_verify_detects_a_deleted_row():
    _record(4)
    _tamper("DELETE FROM core_auditevent WHERE seq = %s", [2])
    broken = audit_verify()
    assert broken is not None and broken.seq == 2
    assert "missing" in broken.reason


def test_raw_sql_edit_is_refused_on_postgres_and_detected_everywhere():
    _record(2)
    raw = "UPDATE core_auditevent SET outcome = 'denied' WHERE seq = 2"
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(raw)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("DELETE FROM core_auditevent")
        assert AuditEvent.objects.count() == 2
        assert audit_verify() is None
    else:
        # SQLite has no such trigger: the edit lands, and the chain exposes it.
        with connection.cursor() as cur:
            cur.execute(raw)
        assert audit_verify().seq == 2


def test_verify_command_reports_intact_chain(capsys):
    _record(3)
    call_command("audit", "verify")
    assert "3 rows verified" in capsys.readouterr().out
