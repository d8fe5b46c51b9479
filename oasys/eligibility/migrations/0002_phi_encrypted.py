# PHI at rest: the columns become Fernet tokens (text) and existing rows and files are
# encrypted under the current key of OASYS_FIELD_KEYS (hashes under OASYS_HASH_KEYS) in the
# same migration. Reversible: going back decrypts them first, which needs the same keys.

import oasys.core.fields
from oasys.core.key_rotation import encrypt_existing
import oasys.eligibility.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('eligibility', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='eligibilitycheck',
            name='x12_270',
            field=oasys.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name='eligibilitycheck',
            name='x12_271',
            field=oasys.core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name='insurancecard',
            name='image',
            field=models.FileField(max_length=200, storage=oasys.core.fields.encrypted_storage, upload_to=oasys.eligibility.models.card_upload_to),
        ),
        migrations.AlterField(
            model_name='insurancewizarddraft',
            name='data',
            field=oasys.core.fields.EncryptedJSONField(blank=True, default=dict),
        ),
        encrypt_existing('eligibility', 'EligibilityCheck', 'InsuranceWizardDraft', 'InsuranceCard'),
    ]
