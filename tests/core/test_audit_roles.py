"""The application's database role (production's, made by `grant_app_role` after migrate) may add to
and read the audit trail, and nothing else: no UPDATE, DELETE or TRUNCATE, whatever the triggers do.
Run against the real PostgreSQL: the role is created in the test's transaction and gone after it."""

import uuid
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from core.audit import record
from core.models import AuditEntry, Counter
from core.numbers import next_value

pytestmark = pytest.mark.django_db


def _sql(statement: str, params=()):
    with connection.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else None


@pytest.fixture
def app_role(supervisor):
    name = f"test_app_{uuid.uuid4().hex[:10]}"
    _sql(f"CREATE ROLE {name} NOLOGIN")
    with transaction.atomic():
        record(supervisor, "core.test.noted", ("core.test", "1", "before the role"))
    call_command("grant_app_role", name)
    return name


@contextmanager
def acting_as(role: str):
    """SET ROLE for a block: undone by the savepoint's rollback on error, by RESET ROLE otherwise."""
    with transaction.atomic():
        _sql(f"SET LOCAL ROLE {role}")
        yield
        _sql("RESET ROLE")


@pytest.mark.parametrize("statement", [
    "UPDATE core_auditentry SET object_repr = 'forged' WHERE seq = 1",
    "DELETE FROM core_auditentry WHERE seq = 1",
    "TRUNCATE core_auditentry",
])
def test_the_application_role_is_refused_update_delete_and_truncate_of_the_audit_trail(app_role, statement):
    with pytest.raises(DatabaseError, match="permission denied for table core_auditentry"), acting_as(app_role):
        _sql(statement)
    assert AuditEntry.objects.get(seq=1).object_repr == "before the role"


def test_the_application_role_cannot_switch_the_triggers_off_either(app_role):
    with pytest.raises(DatabaseError, match="must be owner of table core_auditentry"), acting_as(app_role):
        _sql("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
    with pytest.raises(DatabaseError, match="permission denied to set parameter"), acting_as(app_role):
        _sql("SET session_replication_role = replica")


def test_the_application_role_adds_to_and_reads_the_trail_and_writes_other_tables(app_role, supervisor):
    with acting_as(app_role):
        assert _sql("SELECT current_user")[0][0] == app_role
        entry = record(supervisor, "core.test.noted", ("core.test", "2", "by the application"))
        assert AuditEntry.objects.filter(seq__lte=entry.seq).count() == 2
        assert next_value("TEST-ROLE") == 1  # INSERT ... ON CONFLICT DO UPDATE on another table
        Counter.objects.filter(key="TEST-ROLE").update(value=5)
        Counter.objects.filter(key="TEST-ROLE").delete()
    assert entry.seq == 2 and not Counter.objects.filter(key="TEST-ROLE").exists()


def test_grant_app_role_refuses_a_superuser_or_an_odd_name(db):
    superuser = _sql("SELECT current_user")[0][0]
    with pytest.raises(CommandError, match="superuser or the role running this command"):
        call_command("grant_app_role", superuser)
    with pytest.raises(CommandError, match="not a plain role name"):
        call_command("grant_app_role", 'app"; DROP TABLE core_auditentry; --')
    with pytest.raises(CommandError, match="no database role"):
        call_command("grant_app_role", "no_such_role_here")


def test_the_compose_file_serves_as_the_application_role_and_migrates_as_the_owner():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://verification_app:"), name
        assert env["AUDIT_KEY_FILE"] == "/run/secrets/audit_key" and "audit_key" in services[name]["secrets"]
        assert "audit-checkpoints:/data/audit-checkpoints" in services[name]["volumes"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://verification:")
    assert "migrate --no-input && python manage.py grant_app_role verification_app" in migrate["command"][-1]
    assert "./deploy/postgres/10-roles.sh:/docker-entrypoint-initdb.d/10-roles.sh:ro" in services["db"]["volumes"]
    script = (root / "deploy/postgres/10-roles.sh").read_text()
    assert "NOSUPERUSER" in script and 'GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app"' in script
