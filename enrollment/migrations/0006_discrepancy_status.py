"""A discrepancy's state as a column, for core.workflow's transitions table.

Filled from what held the state before: closed_on (closed), and the resolution of an open one
(ours kept, escalated). A check constraint keeps closed_on set exactly when the state is CLOSED.
"""

from django.db import migrations, models

BACKFILL = """
    UPDATE enrollment_discrepancy SET status = CASE
        WHEN closed_on IS NOT NULL THEN 'CLOSED'
        WHEN resolution = 'KEEP_OURS' THEN 'KEPT'
        WHEN resolution = 'ESCALATED' THEN 'ESCALATED'
        ELSE 'OPEN' END
    WHERE status IS DISTINCT FROM CASE
        WHEN closed_on IS NOT NULL THEN 'CLOSED'
        WHEN resolution = 'KEEP_OURS' THEN 'KEPT'
        WHEN resolution = 'ESCALATED' THEN 'ESCALATED'
        ELSE 'OPEN' END
"""


class Migration(migrations.Migration):

    dependencies = [
        ("enrollment", "0005_drop_duplicate_id_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="discrepancy",
            name="status",
            field=models.CharField(choices=[("OPEN", "Open"), ("KEPT", "Ours kept"), ("ESCALATED", "Escalated"),
                                            ("CLOSED", "Closed")], default="OPEN", max_length=10,
                                   verbose_name="status"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="discrepancy",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("closed_on__isnull", False), ("status", "CLOSED")),
                                   models.Q(models.Q(("status", "CLOSED"), _negated=True), ("closed_on__isnull", True)),
                                   _connector="OR"),
                name="discrepancy_closed_on_when_closed"),
        ),
    ]
