from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION eligibility_coveragelookup_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'eligibility_coveragelookup is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER eligibility_coveragelookup_append_only
    BEFORE UPDATE OR DELETE ON eligibility_coveragelookup
    FOR EACH ROW EXECUTE FUNCTION eligibility_coveragelookup_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS eligibility_coveragelookup_append_only ON eligibility_coveragelookup;
DROP FUNCTION IF EXISTS eligibility_coveragelookup_refuse_change();
"""


class Migration(migrations.Migration):
    """The database refuses UPDATE and DELETE on the coverage lookups log."""

    dependencies = [("eligibility", "0011_seed_disease_classes")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
