"""Shipped defaults for the telehealth scrubber rule: from 2020, telehealth lines (place of
service 02 or 10) carry modifier 95 unless a payer's own rule says otherwise. Practices add
payer-specific rows (e.g. a payer that wants GT, or none) in Billing Setup."""

from django.db import migrations

DEFAULTS = [
    (2020, "02", "95", "Default: synchronous telehealth modifier on POS 02"),
    (2020, "10", "95", "Default: synchronous telehealth modifier on POS 10 (patient's home)"),
]


def forwards(apps, schema_editor):
    Rule = apps.get_model("billing", "TelehealthModifierRule")
    for year, pos, modifier, note in DEFAULTS:
        Rule.objects.get_or_create(
            practice=None, payer=None, effective_year=year, place_of_service=pos,
            defaults={"required_modifier": modifier, "note": note},
        )


def backwards(apps, schema_editor):
    Rule = apps.get_model("billing", "TelehealthModifierRule")
    Rule.objects.filter(practice=None, payer=None).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
