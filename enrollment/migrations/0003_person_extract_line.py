import django.db.models.expressions
from django.db import migrations, models

import enrollment.models.register

FUNCTION = r"""
CREATE OR REPLACE FUNCTION enrollment_extract_line(
    id_number text, name text, gender text, birth_date date, insurance_type text, employer_code text,
    status text, status_date date, paid_through date
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The register's row written as the agency's extract writes it (spec/agency-extract.md), or NULL
    -- where a plain comma-separated line could not carry it (then the row is always compared in full).
    SELECT CASE
        WHEN paid_through IS NULL OR name ~ '[,"\r\n]' OR employer_code ~ '[,"\r\n]' THEN NULL
        ELSE id_number || ',' || name || ',' || gender || ',' || to_char(birth_date, 'YYYY-MM-DD') || ','
             || insurance_type || ',' || employer_code || ',' || status || ','
             || to_char(status_date, 'YYYY-MM-DD') || ',' || to_char(paid_through, 'YYYY-MM')
    END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0002_application_intake")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS enrollment_extract_line"),
        migrations.AddField(
            model_name="person",
            name="extract_line",
            field=models.GeneratedField(
                db_persist=True,
                expression=enrollment.models.register.ExtractLine(
                    django.db.models.expressions.F("id_number"), django.db.models.expressions.F("name"),
                    django.db.models.expressions.F("gender"), django.db.models.expressions.F("birth_date"),
                    django.db.models.expressions.F("insurance_type"),
                    django.db.models.expressions.F("employer_code"), django.db.models.expressions.F("status"),
                    django.db.models.expressions.F("status_date"), django.db.models.expressions.F("paid_through"),
                ),
                output_field=models.TextField(),
            ),
        ),
    ]
