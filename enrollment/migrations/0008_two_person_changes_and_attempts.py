"""Register changes that take two people (proposals and their items); each try of a run kept as an
attempt beside it (the runs made before get one attempt each, as their row tells it); a run's state
may be INTERRUPTED."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


BACKFILL_ATTEMPTS = """
    INSERT INTO enrollment_reconciliationattempt
        (run_id, number, status, file_name, file_sha256, file_size, rows, error, started_at, finished_at,
         triggered_by_id)
    SELECT id, GREATEST(attempts, 1), status, file_name, file_sha256, file_size, rows, error, started_at,
           finished_at, triggered_by_id
      FROM enrollment_reconciliationrun
"""


class Migration(migrations.Migration):

    dependencies = [
        ('enrollment', '0007_search_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='reconciliationrun',
            name='status',
            field=models.CharField(choices=[('RUNNING', 'Running'), ('SUCCEEDED', 'Succeeded'), ('REJECTED', 'File rejected'), ('FAILED', 'Failed'), ('INTERRUPTED', 'Interrupted')], default='RUNNING', max_length=12, verbose_name='status'),
        ),
        migrations.CreateModel(
            name='RegisterChangeProposal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('PROPOSED', 'Waiting for confirmation'), ('CONFIRMED', 'Confirmed and applied'), ('WITHDRAWN', 'Withdrawn'), ('REFUSED', 'Refused')], default='PROPOSED', max_length=10, verbose_name='status')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('proposed_at', models.DateTimeField(auto_now_add=True, verbose_name='proposed at')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('decision_note', models.TextField(blank=True, verbose_name='reason')),
                ('stale', models.BooleanField(default=False, help_text='Refused because what it was made from changed.')),
                ('persons', models.PositiveIntegerField(default=0, verbose_name='persons')),
                ('creations', models.PositiveIntegerField(default=0, verbose_name='persons to add')),
                ('version', models.PositiveIntegerField(default=1)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('proposed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'register change proposal',
                'verbose_name_plural': 'register change proposals',
            },
        ),
        migrations.CreateModel(
            name='RegisterChangeItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('discrepancy_version', models.PositiveIntegerField()),
                ('id_number', models.CharField(max_length=64, verbose_name='identity number')),
                ('person_version', models.PositiveIntegerField(blank=True, null=True)),
                ('changes', models.JSONField(default=dict)),
                ('discrepancy', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='proposal_items', to='enrollment.discrepancy')),
                ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='enrollment.person')),
                ('proposal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='enrollment.registerchangeproposal')),
            ],
            options={
                'verbose_name': 'proposed change',
                'verbose_name_plural': 'proposed changes',
            },
        ),
        migrations.CreateModel(
            name='ReconciliationAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='attempt')),
                ('status', models.CharField(choices=[('RUNNING', 'Running'), ('SUCCEEDED', 'Succeeded'), ('REJECTED', 'File rejected'), ('FAILED', 'Failed'), ('INTERRUPTED', 'Interrupted')], default='RUNNING', max_length=12, verbose_name='status')),
                ('file_name', models.CharField(blank=True, max_length=255, verbose_name='file')),
                ('file_sha256', models.CharField(blank=True, max_length=64)),
                ('file_size', models.BigIntegerField(default=0)),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                ('error', models.TextField(blank=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attempt_rows', to='enrollment.reconciliationrun')),
                ('triggered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'reconciliation attempt',
                'verbose_name_plural': 'reconciliation attempts',
                'ordering': ['-number'],
                'constraints': [models.UniqueConstraint(fields=('run', 'number'), name='one_attempt_number_per_run')],
            },
        ),
        migrations.AddIndex(
            model_name='registerchangeproposal',
            index=models.Index(condition=models.Q(('status', 'PROPOSED')), fields=['proposed_at'], name='proposal_waiting_idx'),
        ),
        migrations.AddConstraint(
            model_name='registerchangeitem',
            constraint=models.UniqueConstraint(fields=('proposal', 'discrepancy'), name='one_item_per_discrepancy'),
        ),
        migrations.RunSQL(BACKFILL_ATTEMPTS, migrations.RunSQL.noop),
    ]
