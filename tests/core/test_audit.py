"""The audit trail: the database refuses changes, and verify_audit finds any that got through."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from core.audit import GENESIS, record
from core.models import AuditEntry
from supervision.services import report_problem

pytestmark = pytest.mark.django_db

TRIGGER = "core_auditentry_append_only"


@pytest.fixture
def chain(supervisor):
    """Four entries written through the one writer."""
    for n in range(3):
        report_problem(source_key=f"test:audit{n}", source_app="core", category="test", title=f"审计 {n}",
                       actor=supervisor)
    with transaction.atomic():
        record(supervisor, "core.test.noted", ("core.test", "1", "a note"), {"a": 1}, {"a": 2, "名称": "中文"})
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    return entries


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def _tamper(statement: str, params=()) -> None:
    """What an intruder with table-owner rights could do: switch the trigger off around a change."""
    _sql(f"ALTER TABLE core_auditentry DISABLE TRIGGER {TRIGGER}")
    _sql(statement, params)
    _sql(f"ALTER TABLE core_auditentry ENABLE TRIGGER {TRIGGER}")


def test_entries_link_each_to_the_one_before(chain):
    assert chain[0].prev_hash == GENESIS
    for before, entry in zip(chain, chain[1:], strict=False):
        assert entry.prev_hash == before.hash
    assert chain[0].actor_name == "frank_supervisor"
    assert chain[0].action == "supervision.problem.raised"


@pytest.mark.parametrize("statement", [
    "UPDATE core_auditentry SET action = 'forged' WHERE seq = %s",
    "UPDATE core_auditentry SET after = '{}'::jsonb, hash = hash WHERE seq = %s",
    "DELETE FROM core_auditentry WHERE seq = %s",
])
def test_the_database_refuses_to_change_or_delete_an_entry(chain, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(statement, [chain[1].seq])
    stored = AuditEntry.objects.get(seq=chain[1].seq)
    assert (stored.action, stored.after, stored.hash) == (chain[1].action, chain[1].after, chain[1].hash)


def test_the_orm_cannot_change_or_delete_an_entry_either(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(actor_name="someone else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()
    assert AuditEntry.objects.count() == 4


def test_verify_audit_passes_an_intact_chain(chain, capsys):
    call_command("verify_audit")
    assert "OK: 4 entries, chain intact." in capsys.readouterr().out


def test_verify_audit_catches_an_altered_entry(chain, capsys):
    _tamper("""UPDATE core_auditentry SET after = '{"a": 3, "名称": "中文"}'::jsonb WHERE seq = 4""")
    with pytest.raises(CommandError, match="broken: 1 problem"):
        call_command("verify_audit")
    assert "entry 4: was altered after it was written" in capsys.readouterr().err
    # The trigger is back on: the same change is refused again.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql("UPDATE core_auditentry SET action = 'forged' WHERE seq = 4")


def test_verify_audit_catches_an_altered_entry_whose_hash_was_recomputed_naively(chain, capsys):
    # Rewriting the entry's own hash without knowing the chain's format still breaks the next link.
    _tamper("UPDATE core_auditentry SET actor_name = 'nobody', hash = md5('x') || md5('y') WHERE seq = 2")
    with pytest.raises(CommandError):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert "entry 2: was altered after it was written" in err
    assert "entry 3: does not link to the entry before it" in err


def test_verify_audit_catches_a_removed_entry(chain, capsys):
    _tamper("DELETE FROM core_auditentry WHERE seq = 2")
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert "entry 3: entries 2..2 are missing" in err
    assert "entry 3: does not link to the entry before it" in err


def test_record_refuses_to_run_outside_the_transaction_of_a_change(supervisor, monkeypatch):
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)  # as in autocommit code
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record(supervisor, "core.test.noted", ("core.test", "1", "x"))
