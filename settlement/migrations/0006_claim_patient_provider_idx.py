# A patient's claims at one provider (the review rules), or at any.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('settlement', '0005_claim_money'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='claim',
            name='claim_patient_idx',
        ),
        migrations.AddIndex(
            model_name='claim',
            index=models.Index(fields=['patient_id_number', 'provider', 'admission_date'], name='claim_patient_provider_idx'),
        ),
    ]
