from django.db import migrations, models

# The function of migration 0002 names TG_OP, so it serves the statement-level trigger too.
FORWARD = """
CREATE TRIGGER core_auditentry_no_truncate
    BEFORE TRUNCATE ON core_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION core_auditentry_refuse_change();
"""

BACKWARD = "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry;"


def seal(apps, schema_editor):
    """One keyed entry after the plain-hash ones: its HMAC covers the last plain hash and a digest of
    their object_repr (which their own hash left out). Needs the audit key (AUDIT_KEY / AUDIT_KEY_FILE)."""
    from core.audit import seal_legacy_entries

    with schema_editor.connection.cursor() as cursor:
        seal_legacy_entries(cursor)


class Migration(migrations.Migration):
    """The audit trail's keyed hash and a trigger that refuses TRUNCATE.

    Entries already written keep scheme 1 (plain SHA-256, verified as written: the column is added
    with a constant default, which rewrites no row and fires no UPDATE trigger); record() writes
    scheme 2 (HMAC-SHA256 of every field under AUDIT_KEY) from now on, starting with the entry
    that seals the plain ones (core.audit.seal_legacy_entries).
    """

    dependencies = [("core", "0004_provider")]
    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="scheme",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "SHA-256 (before the keyed hash)"), (2, "HMAC-SHA256 of every field")],
                default=1, help_text="How `hash` was computed."),
            preserve_default=False,
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
