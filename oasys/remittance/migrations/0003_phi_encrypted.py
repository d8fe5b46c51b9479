# PHI at rest: the columns become Fernet tokens (text) and existing rows and files are
# encrypted under the current key of OASYS_FIELD_KEYS (hashes under OASYS_HASH_KEYS) in the
# same migration. Reversible: going back decrypts them first, which needs the same keys.

import oasys.core.fields
from oasys.core.key_rotation import encrypt_existing
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('remittance', '0002_paymentreview_paymentreviewevent_remittanceevent_and_more'),
    ]

    operations = [
        migrations.AlterField(
            model_name='remittanceclaim',
            name='member_id',
            field=oasys.core.fields.EncryptedTextField(blank=True, max_length=80),
        ),
        encrypt_existing('remittance', 'RemittanceClaim'),
    ]
