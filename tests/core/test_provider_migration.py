"""Provider moved from settlement to core (core 0004, settlement 0002): rows and grants survive."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import Provider
from core.providers import PERMISSION, providers_visible_to

BEFORE = [("core", "0003_seed_calendar"), ("settlement", "0001_initial")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return executor


def _old_world(user):
    """Back to settlement.Provider: two providers, the user granted the second one."""
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(executor.loader.get_migration("core", "0004_provider").dependencies).apps
    OldProvider = old.get_model("settlement", "Provider")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldPermission = old.get_model("auth", "Permission")
    ct, _ = OldContentType.objects.get_or_create(app_label="settlement", model="provider")
    perm, _ = OldPermission.objects.get_or_create(content_type=ct, codename="access_provider",
                                                  defaults={"name": "Can see and act on this provider's data"})
    OldProvider.objects.create(code="H1", name="第一医院", level=3, area="LOCAL")
    granted = OldProvider.objects.create(code="H2", name="第二医院", level=2, area="LOCAL")
    old.get_model("guardian", "UserObjectPermission").objects.create(
        user_id=user.pk, permission=perm, content_type=ct, object_pk=str(granted.pk))
    return granted.pk


def _assert_moved(user, granted_pk):
    assert Provider._meta.db_table == "core_provider"
    assert list(Provider.objects.values_list("code", flat=True)) == ["H1", "H2"]
    assert not ContentType.objects.filter(app_label="settlement", model="provider").exists()
    assert Permission.objects.filter(content_type__app_label="core", codename="access_provider").count() == 1
    provider = Provider.objects.get(pk=granted_pk)
    user = type(user).objects.get(pk=user.pk)  # fresh permission caches
    assert user.has_perm(PERMISSION, provider)
    assert not user.has_perm(PERMISSION, Provider.objects.get(code="H1"))
    assert list(providers_visible_to(user)) == [provider]
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('settlement_provider'), pg_get_serial_sequence('core_provider', 'id')")
        assert cur.fetchone() == (None, "public.core_provider_id_seq")
    assert Provider.objects.create(code="H3", name="新医院", level=1, area="OUT").pk > granted_pk


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_rows_and_grants(make_user):
    user = make_user("grace_provider")
    granted_pk = _old_world(user)
    _migrate()
    _assert_moved(user, granted_pk)


@pytest.mark.django_db(transaction=True)
def test_the_move_merges_into_a_core_content_type_made_before_it(make_user):
    """Should post_migrate have made core.provider's content type already, the grants move onto it."""
    user = make_user("grace_provider")
    granted_pk = _old_world(user)
    stray = ContentType.objects.create(app_label="core", model="provider")
    Permission.objects.create(content_type=stray, codename="access_provider", name="Can see")
    _migrate()
    _assert_moved(user, granted_pk)
    assert ContentType.objects.get(app_label="core", model="provider").pk == stray.pk
