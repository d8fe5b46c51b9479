"""On PostgreSQL, refuse UPDATE and DELETE of audit rows in the database itself, so not even
a raw SQL session through the application's role can rewrite history."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION oasys_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditevent is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS oasys_audit_append_only ON core_auditevent;
CREATE TRIGGER oasys_audit_append_only BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION oasys_audit_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS oasys_audit_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS oasys_audit_refuse_change();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
