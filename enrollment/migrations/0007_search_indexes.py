"""Find anyone (issue 14, item 3): any part of a person's name, the last four characters of the
identity number, any part of an employer's name or credit code.

A part of a name is found through the grams of the text (each character and each pair of adjacent
characters) kept in a generated text[] column with a GIN index: pg_trgm would not do, since it
drops CJK characters under a C or POSIX ctype (pgserver, many servers) and needs three characters.
A person's grams leave out the name's first character: a name that starts with the text is found on
the name's prefix index, in name order, and the grams only find the rest (selectors.register). An
employer's grams add the runs of three characters of its credit code.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

import enrollment.models.register

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION enrollment_grams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- Each character and each pair of adjacent characters: 王小明 -> {王, 王小, 小, 小明, 明}.
    DECLARE
        grams text[] := '{}';
        n int := char_length(value);
    BEGIN
        FOR i IN 1..n LOOP
            grams := grams || substr(value, i, 1);
            IF i < n THEN
                grams := grams || substr(value, i, 2);
            END IF;
        END LOOP;
        RETURN grams;
    END
$$;
CREATE OR REPLACE FUNCTION enrollment_trigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- Each run of three adjacent characters: 91320 -> {913, 132, 320}.
    DECLARE
        grams text[] := '{}';
    BEGIN
        FOR i IN 1..char_length(value) - 2 LOOP
            grams := grams || substr(value, i, 3);
        END LOOP;
        RETURN grams;
    END
$$;
CREATE OR REPLACE FUNCTION enrollment_employer_grams(name text, uscc text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The name's characters and pairs, the credit code's runs of three: a pair of a code's 31
    -- characters is in too many codes to narrow a search, three of them are not (and a name's
    -- grams never have three characters, so the two cannot be confused).
    SELECT coalesce(enrollment_grams(name), '{}') || coalesce(enrollment_trigrams(uscc), '{}')
$$;
"""
DROP_FUNCTIONS = ("DROP FUNCTION IF EXISTS enrollment_employer_grams; DROP FUNCTION IF EXISTS enrollment_trigrams; "
                  "DROP FUNCTION IF EXISTS enrollment_grams;")


class Migration(migrations.Migration):

    dependencies = [
        ("enrollment", "0006_discrepancy_status"),
    ]

    operations = [
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        migrations.AddField(
            model_name="employer",
            name="search_grams",
            field=models.GeneratedField(
                db_persist=True,
                expression=enrollment.models.register.EmployerGrams(models.F("name"), models.F("uscc")),
                output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)),
        ),
        migrations.AddField(
            model_name="person",
            name="name_grams",
            field=models.GeneratedField(
                db_persist=True,
                expression=enrollment.models.register.Grams(
                    django.db.models.functions.text.Substr(models.F("name"), 2)),
                output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)),
        ),
        migrations.AddIndex(
            model_name="employer",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_grams"], name="employer_search_grams_idx"),
        ),
        migrations.RemoveIndex(model_name="person", name="person_initials_prefix_idx"),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name_initials", "name"], name="person_initials_prefix_idx",
                               opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=django.contrib.postgres.indexes.GinIndex(fields=["name_grams"], name="person_name_grams_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                django.db.models.functions.text.Right("id_number", 4),
                models.F("name"),
                name="person_last_four_idx"),
        ),
    ]
