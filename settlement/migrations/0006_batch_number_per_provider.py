"""Batches are numbered per provider (1, 2, … in upload order), so that a provider's numbers no longer show
that other providers upload too. Existing batches are renumbered by their provider in id order, and the
stored errors that name an earlier batch (claim_no_accepted) get its provider's code and number."""

from django.db import migrations, models

NUMBER_EXISTING = """
    UPDATE settlement_claimbatch b SET number = r.n
    FROM (SELECT id, row_number() OVER (PARTITION BY provider_id ORDER BY id) AS n FROM settlement_claimbatch) r
    WHERE r.id = b.id
"""
NAME_BATCHES_IN_ERRORS = """
    UPDATE settlement_batcherror e
    SET detail = e.detail || jsonb_build_object('provider', p.code, 'number', b.number)
    FROM settlement_claimbatch b JOIN core_provider p ON p.id = b.provider_id
    WHERE e.code = 'claim_no_accepted' AND b.id = (e.detail->>'batch')::bigint
"""


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_provider'),
        ('settlement', '0005_claim_money'),
    ]

    operations = [
        migrations.AddField(
            model_name='claimbatch',
            name='number',
            field=models.PositiveIntegerField(null=True, help_text="The batch's place among its provider's batches.",
                                              verbose_name='number'),
        ),
        migrations.RunSQL(NUMBER_EXISTING, migrations.RunSQL.noop),
        migrations.RunSQL(NAME_BATCHES_IN_ERRORS, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='claimbatch',
            name='number',
            field=models.PositiveIntegerField(help_text="The batch's place among its provider's batches.",
                                              verbose_name='number'),
        ),
        migrations.AddConstraint(
            model_name='claimbatch',
            constraint=models.UniqueConstraint(fields=('provider', 'number'), name='claim_batch_number_once_per_provider'),
        ),
    ]
