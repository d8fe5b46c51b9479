# PHI at rest: the columns become Fernet tokens (text) and existing rows and files are
# encrypted under the current key of OASYS_FIELD_KEYS (hashes under OASYS_HASH_KEYS) in the
# same migration. Reversible: going back decrypts them first, which needs the same keys.

import oasys.core.fields
from oasys.core.key_rotation import encrypt_existing
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('practice', '0005_servicetype_no_show_fee'),
    ]

    operations = [
        migrations.AlterField(
            model_name='providerprofile',
            name='tax_id',
            field=oasys.core.fields.EncryptedTextField(blank=True, max_length=9, verbose_name='Tax ID'),
        ),
        encrypt_existing('practice', 'ProviderProfile'),
    ]
