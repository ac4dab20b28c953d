# The review's indexes: a patient's claims at one provider (the review rules) or at any; the claims of a batch
# that a whole-claim rule took; no second index on a finding's (claim, line), which finding_once_per_rule
# leads with.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('settlement', '0006_batch_number_per_provider'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='claim',
            name='claim_patient_idx',
        ),
        migrations.RemoveIndex(
            model_name='finding',
            name='finding_claim_idx',
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(condition=models.Q(('rule_code__in', ['ELIG_NOT_INSURED', 'PENALTY_DIRECT_SETTLEMENT', 'PENALTY_RESTRICTED_PROVIDER'])), fields=['batch', 'claim'], name='finding_whole_claim_idx'),
        ),
        migrations.AddIndex(
            model_name='claim',
            index=models.Index(fields=['patient_id_number', 'provider', 'admission_date'], name='claim_patient_provider_idx'),
        ),
    ]
