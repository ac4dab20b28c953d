from django.db import migrations


class Migration(migrations.Migration):
    """Provider moved to core (core 0004 renamed the table and moved the content type): state only."""

    dependencies = [("settlement", "0001_initial"), ("core", "0004_provider")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Provider")]),
    ]
