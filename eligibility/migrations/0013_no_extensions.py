"""Eligibility needs no PostgreSQL extension (the embedded server of `make run` has none).

Databases made before this migration have the two exclusion constraints on btree_gist's `=` for
text and the catalogue's name search on pg_trgm. Their constraints are rebuilt on the one-value
text range of core.ranges (as 0001 and 0010 now make them), and the trigram index gives way to the
name's grams, the same characters-and-pairs GIN as the register's search. A database made after
already has the new constraints: they are left as they are.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

import core.ranges
import enrollment.models.register

REBUILT = [("policyversion", "policy_versions_never_overlap"),
           ("catalogueitem", "catalogue_item_versions_do_not_overlap")]


def rebuild_constraints(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for model_name, name in REBUILT:
            model = apps.get_model("eligibility", model_name)
            cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s "
                           "AND conrelid = %s::regclass", [name, model._meta.db_table])
            row = cursor.fetchone()
            if row and "key_range" in row[0]:
                continue
            constraint = next(c for c in model._meta.constraints if c.name == name)
            if row:
                schema_editor.remove_constraint(model, constraint)
            schema_editor.add_constraint(model, constraint)


class Migration(migrations.Migration):

    dependencies = [
        ("eligibility", "0012_coverage_lookup_append_only"),
        ("enrollment", "0007_search_indexes"),  # enrollment_grams
    ]

    operations = [
        migrations.RunSQL(core.ranges.CREATE_KEY_RANGE, migrations.RunSQL.noop),
        migrations.RunPython(rebuild_constraints, migrations.RunPython.noop),
        migrations.RunSQL("DROP INDEX IF EXISTS catalogue_name_trgm_idx", migrations.RunSQL.noop),
        migrations.AddField(
            model_name="catalogueitem",
            name="name_grams",
            field=models.GeneratedField(
                db_persist=True,
                expression=enrollment.models.register.Grams(django.db.models.functions.text.Lower(models.F("name"))),
                output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)),
        ),
        migrations.AddIndex(
            model_name="catalogueitem",
            index=django.contrib.postgres.indexes.GinIndex(fields=["name_grams"], name="catalogue_name_grams_idx"),
        ),
    ]
