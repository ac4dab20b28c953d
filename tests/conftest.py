"""Personas, one per role, and shared fixtures. Tests run against a real PostgreSQL."""

import importlib

import pytest
from django.contrib.auth.models import Group

from core.roles import Role, sync_roles

PASSWORD = "test-pass-2026"


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_user_model", "make_user", "admin_user", "personas"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The personas log in with a password; a fast hasher keeps the role matrices quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _migration_data(request):
    """The data migrations load (the working-day calendar, the demo policy, the disease classes, the review rules' settings) is there for every database test, even
    after a transactional test earlier on the same worker flushed every table."""
    if request.node.get_closest_marker("django_db") is None and not DB_FIXTURES & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames
                            or "live_server" in request.fixturenames else "db")
    from django.apps import apps

    from core.models import CalendarYear
    from eligibility.models import DiseaseClass, PolicyVersion

    if not CalendarYear.objects.exists():
        importlib.import_module("core.migrations.0003_seed_calendar").seed(apps, None)
    if not PolicyVersion.objects.exists():
        importlib.import_module("eligibility.migrations.0002_seed_demo_policy").seed(apps, None)
    if not DiseaseClass.objects.exists():
        importlib.import_module("eligibility.migrations.0011_seed_disease_classes").seed(apps, None)
    from settlement.models import RuleSetting

    if not RuleSetting.objects.exists():
        importlib.import_module("settlement.migrations.0004_findings_and_rule_settings").seed_rule_settings(apps, None)
    yield


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_audit_trigger():
    """A transactional test ends with Django's flush, one TRUNCATE of every table, which the audit
    table's trigger refuses: the test database's superuser flushes with triggers off."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        return original(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _media_and_celery(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AGENCY_DROP_DIR = tmp_path / "agency"
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"  # each test's own, as its database is
    from config.celery import app

    app.conf.task_always_eager = True  # services are tested directly; see tests/integration for a real worker
    yield


@pytest.fixture
def make_user(db, django_user_model):
    sync_roles()

    def make(username: str, *roles: Role, **extra):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)
        for role in roles:
            user.groups.add(Group.objects.get(name=role.value))
        return user

    return make


@pytest.fixture
def clerk(make_user):
    return make_user("alice_clerk", Role.CLERK, first_name="王芳")


@pytest.fixture
def clerk2(make_user):
    return make_user("bob_clerk", Role.CLERK, first_name="李娜")


@pytest.fixture
def reviewer(make_user):
    return make_user("carol_reviewer", Role.REVIEWER, first_name="张伟")


@pytest.fixture
def senior(make_user):
    return make_user("dave_senior", Role.SENIOR_REVIEWER, first_name="刘洋")


@pytest.fixture
def auditor(make_user):
    return make_user("erin_auditor", Role.SETTLEMENT_AUDITOR)


@pytest.fixture
def supervisor(make_user):
    return make_user("frank_supervisor", Role.SUPERVISOR)


@pytest.fixture
def provider_user(make_user):
    return make_user("grace_provider", Role.PROVIDER)


@pytest.fixture
def admin_user(make_user):
    return make_user("heidi_admin", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def personas(clerk, reviewer, senior, auditor, supervisor, provider_user, admin_user):
    return {
        "clerk": clerk, "reviewer": reviewer, "senior_reviewer": senior, "settlement_auditor": auditor,
        "supervisor": supervisor, "provider": provider_user, "admin": admin_user,
    }


@pytest.fixture
def client_for(client):
    """A logged-in test client for a user: client_for(user)."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def english():
    """Messages asserted in English (the msgids); zh-hans is the default language."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def english_pages(settings, english):
    """Pages and messages asserted in English (the msgids): the site's default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def employer(db):
    from tests.factories import EmployerFactory

    return EmployerFactory()
