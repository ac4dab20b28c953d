"""Provider moves from settlement to core, keeping its rows and every grant on them.

The table is renamed (settlement_provider -> core_provider, with its sequence, constraints and
indexes), the model is created in core's state only (settlement 0002 deletes it from settlement's
state), and the content type moves to core, so the permissions (settlement.access_provider ->
core.access_provider) and guardian's per-provider grants, which point at that content type and
those permissions by id, keep working.
"""

from django.db import migrations, models

RENAME = """
DO $$
DECLARE r record;
BEGIN
    ALTER TABLE {old} RENAME TO {new};
    FOR r IN SELECT conname FROM pg_constraint
             WHERE conrelid = '{new}'::regclass AND conname LIKE '{old}\\_%' LOOP
        EXECUTE format('ALTER TABLE {new} RENAME CONSTRAINT %I TO %I',
                       r.conname, '{new}' || substr(r.conname, length('{old}') + 1));
    END LOOP;
    FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('i', 'S') AND c.relname LIKE '{old}\\_%' LOOP
        EXECUTE format('ALTER %s %I RENAME TO %I', CASE r.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'INDEX' END,
                       r.relname, '{new}' || substr(r.relname, length('{old}') + 1));
    END LOOP;
END $$;
"""


def move_content_type(apps, from_label, to_label):
    """Move the provider's content type (and with it its permissions and object grants) between apps.

    Normally there is one content type to relabel. Should both exist (the new one created by an
    earlier post_migrate), the grants are moved onto the new one's permissions and the old one goes.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
    GroupObjectPermission = apps.get_model("guardian", "GroupObjectPermission")
    old = ContentType.objects.filter(app_label=from_label, model="provider").first()
    if old is None:
        return
    new = ContentType.objects.filter(app_label=to_label, model="provider").first()
    if new is None:
        old.app_label = to_label
        old.save(update_fields=["app_label"])
        return
    for perm in Permission.objects.filter(content_type=old):
        target = Permission.objects.filter(content_type=new, codename=perm.codename).first()
        if target is None:
            perm.content_type = new
            perm.save(update_fields=["content_type"])
            continue
        for Model, holder in ((UserObjectPermission, "user_id"), (GroupObjectPermission, "group_id")):
            held = set(Model.objects.filter(permission=target).values_list(holder, "object_pk"))
            for row in Model.objects.filter(permission=perm):
                if (getattr(row, holder), row.object_pk) not in held:
                    Model.objects.filter(pk=row.pk).update(permission=target, content_type=new)
        target.user_set.add(*perm.user_set.all())
        target.group_set.add(*perm.group_set.all())
        perm.delete()
    UserObjectPermission.objects.filter(content_type=old).update(content_type=new)
    GroupObjectPermission.objects.filter(content_type=old).update(content_type=new)
    old.delete()


def forward(apps, schema_editor):
    move_content_type(apps, "settlement", "core")


def backward(apps, schema_editor):
    move_content_type(apps, "core", "settlement")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_seed_calendar"),
        ("settlement", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    RENAME.format(old="settlement_provider", new="core_provider"),
                    RENAME.format(old="core_provider", new="settlement_provider"),
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Provider",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("code", models.CharField(max_length=30, unique=True, verbose_name="provider code")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        ("level", models.PositiveSmallIntegerField(choices=[(1, "1"), (2, "2"), (3, "3")],
                                                                   verbose_name="level")),
                        ("area", models.CharField(choices=[("LOCAL", "Local"), ("OUT", "Out of area")],
                                                  max_length=5, verbose_name="area")),
                        ("active", models.BooleanField(default=True, verbose_name="active")),
                    ],
                    options={
                        "verbose_name": "provider",
                        "verbose_name_plural": "providers",
                        "ordering": ["code"],
                        "permissions": [("access_provider", "Can see and act on this provider's data")],
                    },
                ),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
