"""One audit chain per practice (plus one for events with no practice).

Rows written before this migration keep their `seq` and hashes and become the "legacy"
chain: their hash never covered a chain key, and rewriting them would break the very
tamper evidence they carry (and the PostgreSQL trigger refuses UPDATE anyway). Adding the
column with a default is DDL, not an UPDATE of rows, so the append-only trigger stays on.
The old single head row (id 1) becomes the legacy chain's head; new rows start new chains
at seq 1 from the genesis hash.
"""

from django.db import migrations, models

LEGACY = "legacy"


def heads_forwards(apps, schema_editor):
    Old = apps.get_model("core", "AuditChainHeadLegacy")
    New = apps.get_model("core", "AuditChainHead")
    for old in Old.objects.all():
        New.objects.create(chain=LEGACY, last_seq=old.last_seq, last_hash=old.last_hash)


def heads_backwards(apps, schema_editor):
    Old = apps.get_model("core", "AuditChainHeadLegacy")
    New = apps.get_model("core", "AuditChainHead")
    AuditEvent = apps.get_model("core", "AuditEvent")
    if AuditEvent.objects.exclude(chain=LEGACY).exists():
        raise RuntimeError("Audit rows exist in per-practice chains; they cannot be folded back")
    legacy = New.objects.filter(chain=LEGACY).first()
    if legacy is not None:
        Old.objects.create(id=1, last_seq=legacy.last_seq, last_hash=legacy.last_hash)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_practice_inquiry_days")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(default=LEGACY, max_length=40),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(),
        ),
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_event_chain_seq"),
        ),
        migrations.RenameModel(old_name="AuditChainHead", new_name="AuditChainHeadLegacy"),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("chain", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("last_seq", models.BigIntegerField(default=0)),
                ("last_hash", models.CharField(default="0" * 64, max_length=64)),
            ],
        ),
        migrations.RunPython(heads_forwards, heads_backwards),
        migrations.DeleteModel(name="AuditChainHeadLegacy"),
    ]
