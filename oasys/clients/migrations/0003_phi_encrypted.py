# PHI at rest: the columns become Fernet tokens (text) and existing rows and files are
# encrypted under the current key of OASYS_FIELD_KEYS (hashes under OASYS_HASH_KEYS) in the
# same migration. Reversible: going back decrypts them first, which needs the same keys.

import oasys.core.fields
from oasys.core.key_rotation import encrypt_existing
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0002_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='insurancepolicy',
            name='member_id_hash',
            field=oasys.core.fields.BlindIndexField(blank=True, db_index=True, default='', editable=False, max_length=64, source='member_id'),
        ),
        migrations.AlterField(
            model_name='client',
            name='date_of_birth',
            field=oasys.core.fields.EncryptedDateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='insurancepolicy',
            name='member_id',
            field=oasys.core.fields.EncryptedTextField(blank=True, max_length=40, verbose_name='Member ID'),
        ),
        migrations.AlterField(
            model_name='insurancepolicy',
            name='subscriber_date_of_birth',
            field=oasys.core.fields.EncryptedDateField(blank=True, null=True),
        ),
        encrypt_existing('clients', 'Client', 'InsurancePolicy'),
    ]
