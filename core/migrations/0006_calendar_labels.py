# The calendar's labels for the admin (verbose names only: no SQL).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_audit_truncate_and_keyed_hash'),
    ]

    operations = [
        migrations.AlterField(
            model_name='calendarday',
            name='date',
            field=models.DateField(primary_key=True, serialize=False, verbose_name='date'),
        ),
        migrations.AlterField(
            model_name='calendarday',
            name='is_workday',
            field=models.BooleanField(verbose_name='working day'),
        ),
        migrations.AlterField(
            model_name='calendarday',
            name='name',
            field=models.CharField(blank=True, max_length=60, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='calendaryear',
            name='confirmed',
            field=models.BooleanField(default=False, help_text="The State Council's holiday schedule for the year is entered.", verbose_name='confirmed'),
        ),
        migrations.AlterField(
            model_name='calendaryear',
            name='source',
            field=models.CharField(blank=True, max_length=100, verbose_name='source'),
        ),
        migrations.AlterField(
            model_name='calendaryear',
            name='year',
            field=models.PositiveSmallIntegerField(primary_key=True, serialize=False, verbose_name='year'),
        ),
    ]
