import django.contrib.postgres.constraints
import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import core.ranges
import django.db.models.constraints
import django.core.serializers.json
import django.db.models.deletion
import eligibility.models.catalogue
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('eligibility', '0002_seed_demo_policy'),
        ('enrollment', '0005_drop_duplicate_id_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The one-value text range of the exclusion constraint (core.ranges), made in 0001 as well.
        migrations.RunSQL(core.ranges.CREATE_KEY_RANGE, migrations.RunSQL.noop),
        migrations.CreateModel(
            name='CatalogueItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('item_code', models.CharField(max_length=50, verbose_name='item code')),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('category', models.CharField(choices=[('DRUG', 'Drug'), ('SERVICE', 'Service'), ('MATERIAL', 'Material'), ('BED', 'Bed')], max_length=10, verbose_name='category')),
                ('pay_class', models.CharField(choices=[('A', 'Class A (甲类)'), ('B', 'Class B (乙类)'), ('C', 'Class C (丙类)')], max_length=1, verbose_name='class')),
                ('price_cap', models.DecimalField(blank=True, decimal_places=4, max_digits=14, null=True, verbose_name='price cap')),
                ('sex_limit', models.CharField(blank=True, choices=[('M', 'Male only'), ('F', 'Female only')], max_length=1, verbose_name='sex limit')),
                ('age_min', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='minimum age')),
                ('age_max', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='maximum age')),
                ('max_per_day', models.DecimalField(blank=True, decimal_places=3, help_text='Units per patient per day.', max_digits=12, null=True, verbose_name='max per day')),
                ('max_per_claim', models.DecimalField(blank=True, decimal_places=3, help_text='Units per claim.', max_digits=12, null=True, verbose_name='max per claim')),
                ('indications', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=3), blank=True, default=list, help_text='ICD-10 prefixes (限定适应症); empty: any diagnosis.', size=None, verbose_name='indications')),
                ('effective_from', models.DateField(verbose_name='effective from')),
                ('effective_to', models.DateField(blank=True, null=True, verbose_name='effective to')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'catalogue item',
                'verbose_name_plural': 'catalogue items',
                'ordering': ['item_code', 'effective_from'],
                'indexes': [models.Index(fields=['item_code'], name='catalogue_code_prefix_idx', opclasses=['varchar_pattern_ops'])],
                'constraints': [models.UniqueConstraint(fields=('item_code', 'effective_from'), name='catalogue_item_version_once'), django.contrib.postgres.constraints.ExclusionConstraint(deferrable=django.db.models.constraints.Deferrable['DEFERRED'], expressions=[(core.ranges.KeyRange('item_code'), '&&'), (eligibility.models.catalogue.DateRange('effective_from', 'effective_to', models.Value('[]')), '&&')], name='catalogue_item_versions_do_not_overlap'), models.CheckConstraint(condition=models.Q(('effective_to__isnull', True), ('effective_to__gte', models.F('effective_from')), _connector='OR'), name='catalogue_item_period_in_order'), models.CheckConstraint(condition=models.Q(('age_min__isnull', True), ('age_max__isnull', True), ('age_min__lte', models.F('age_max')), _connector='OR'), name='catalogue_item_ages_in_order')],
            },
        ),
        migrations.CreateModel(
            name='DiseaseClass',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('category_from', models.CharField(max_length=3, verbose_name='from category')),
                ('category_to', models.CharField(max_length=3, verbose_name='to category')),
                ('disease_class', models.CharField(choices=[('SPECIFIED', 'Specified disease (规定疾病)'), ('CHRONIC', 'Chronic disease (慢性病)')], max_length=10, verbose_name='disease class')),
                ('name', models.CharField(verbose_name='name')),
            ],
            options={
                'verbose_name': 'disease class',
                'verbose_name_plural': 'disease classes',
                'ordering': ['category_from'],
                'constraints': [models.UniqueConstraint(fields=('category_from',), name='disease_class_from_once'), models.CheckConstraint(condition=models.Q(('category_from__lte', models.F('category_to'))), name='disease_class_range_in_order'), models.CheckConstraint(condition=models.Q(('category_from__regex', '^[A-Z][0-9]{2}$'), ('category_to__regex', '^[A-Z][0-9]{2}$')), name='disease_class_categories')],
            },
        ),
        migrations.CreateModel(
            name='Registration',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('REFERRAL', 'Referral (转外就医)'), ('SPECIAL_DISEASE', 'Outpatient special disease (门诊特殊病种)'), ('RESIDENCE_ELSEWHERE', 'Residence elsewhere (异地居住)'), ('PENALTY', 'Penalty (信用惩戒)')], max_length=20, verbose_name='kind')),
                ('number', models.CharField(verbose_name='number')),
                ('status', models.CharField(choices=[('ACTIVE', 'In force'), ('REVOKED', 'Revoked')], default='ACTIVE', max_length=10, verbose_name='status')),
                ('approved_on', models.DateField(verbose_name='approved on')),
                ('valid_from', models.DateField(blank=True, null=True, verbose_name='valid from')),
                ('valid_to', models.DateField(blank=True, null=True, verbose_name='valid to')),
                ('provider_codes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=30), blank=True, default=list, size=None, verbose_name='providers')),
                ('diagnosis_categories', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=3), blank=True, default=list, size=None, verbose_name='diagnosis categories')),
                ('measure', models.CharField(blank=True, choices=[('SETTLEMENT_METHOD', 'Settlement method changed (结算方式改变)'), ('RESTRICTED_PROVIDERS', 'Restricted to named providers (限定定点医药机构就医)'), ('MONITORING', 'Focused monitoring (重点监控)')], max_length=20, verbose_name='measure')),
                ('first_used_on', models.DateField(blank=True, null=True, verbose_name='first used on')),
                ('decision_reference', models.CharField(blank=True, max_length=60, verbose_name='decision reference')),
                ('application_id', models.BigIntegerField(blank=True, help_text='The benefit application it came from, if any.', null=True, verbose_name='application')),
                ('source', models.CharField(choices=[('LOAD', 'Loaded from a previous system'), ('APPLICATION', 'Benefit application'), ('DEMO', 'Demo data')], max_length=12, verbose_name='source')),
                ('source_reference', models.CharField(blank=True, max_length=100, verbose_name='source reference')),
                ('version', models.PositiveIntegerField(default=1)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='approved by')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='registrations', to='enrollment.person', verbose_name='insured person')),
            ],
            options={
                'verbose_name': 'registration',
                'verbose_name_plural': 'registrations',
            },
        ),
        migrations.CreateModel(
            name='RegistrationVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField()),
                ('values', models.JSONField()),
                ('change', models.CharField(max_length=20)),
                ('reference', models.CharField(blank=True, max_length=100)),
                ('changed_at', models.DateTimeField(auto_now_add=True)),
                ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('registration', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='eligibility.registration')),
            ],
            options={
                'verbose_name': 'registration version',
                'verbose_name_plural': 'registration versions',
            },
        ),
        migrations.CreateModel(
            name='CoverageLookup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='asked at')),
                ('username', models.CharField(max_length=150, verbose_name='asked by')),
                ('provider_code', models.CharField(blank=True, max_length=30, verbose_name='asking provider')),
                ('id_number', models.CharField(max_length=18, verbose_name='identity number asked')),
                ('on_date', models.DateField(verbose_name='date asked')),
                ('visit_type', models.CharField(max_length=20, verbose_name='visit type')),
                ('covered', models.BooleanField(verbose_name='covered')),
                ('reason', models.CharField(blank=True, max_length=40, verbose_name='reason')),
                ('answer', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='answer')),
                ('request_id', models.CharField(blank=True, max_length=64)),
                ('person', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='enrollment.person')),
                ('user', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'coverage lookup',
                'verbose_name_plural': 'coverage lookups',
                'indexes': [models.Index(fields=['person', '-at'], name='coverage_lookup_person_idx'), models.Index(fields=['-at'], name='coverage_lookup_recent_idx')],
            },
        ),
        migrations.AddIndex(
            model_name='registration',
            index=models.Index(fields=['person', 'kind'], name='registration_person_idx'),
        ),
        migrations.AddIndex(
            model_name='registration',
            index=models.Index(fields=['-approved_on', '-id'], name='registration_recent_idx'),
        ),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.UniqueConstraint(fields=('kind', 'number'), name='registration_number_once_per_kind'),
        ),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'PENALTY'), ('measure__in', ['SETTLEMENT_METHOD', 'RESTRICTED_PROVIDERS', 'MONITORING'])), models.Q(models.Q(('kind', 'PENALTY'), _negated=True), ('measure', '')), _connector='OR'), name='registration_measure_only_on_penalty'),
        ),
        migrations.AddConstraint(
            model_name='registration',
            constraint=models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_from__isnull', True), ('valid_to__gte', models.F('valid_from')), _connector='OR'), name='registration_period_in_order'),
        ),
        migrations.AddConstraint(
            model_name='registrationversion',
            constraint=models.UniqueConstraint(fields=('registration', 'version'), name='registration_version_once'),
        ),
    ]
