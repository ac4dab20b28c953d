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


# -- issue 13, item 7: a trail that cannot be quietly rewritten ------------------------------------

CHECKPOINT_ERR = "the checkpoint of"


def _bypassed(statement: str, params=()) -> None:
    """As the database's superuser, with every trigger off for the statement (session_replication_role
    = replica, as pg_restore does)."""
    _sql("SET LOCAL session_replication_role = replica")
    try:
        _sql(statement, params)
    finally:
        _sql("SET LOCAL session_replication_role = origin")


def _verify_fails(capsys, *messages: str) -> str:
    with pytest.raises(CommandError, match="The audit trail is broken"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    for message in messages:
        assert message in err
    return err


def _plain_hash_of(row: dict) -> str:
    """The hash an intruder without the key can compute: plain SHA-256 (the scheme before the keyed one)."""
    from core.audit import entry_hash

    row["scheme"] = AuditEntry.Scheme.LEGACY_SHA256
    return entry_hash(row)


def _recompute_chain(from_seq: int, digest) -> None:
    """Rewrite every hash from `from_seq` on with `digest(row)`, linking each to the one before: what an
    intruder does after changing an entry, so that every link holds again."""
    from core.audit import HASHED_FIELDS

    rows = list(AuditEntry.objects.order_by("seq").values(*HASHED_FIELDS, "hash"))
    prev = GENESIS
    for row in rows:
        if row["seq"] >= from_seq:
            row["prev_hash"] = prev
            row["hash"] = digest(row)
            _bypassed("UPDATE core_auditentry SET prev_hash = %s, hash = %s, scheme = %s WHERE seq = %s",
                      [row["prev_hash"], row["hash"], row["scheme"], row["seq"]])
        prev = row["hash"]


def test_new_entries_are_keyed_and_their_hash_needs_the_key(chain, settings):
    from core.audit import HASHED_FIELDS, entry_hash

    row = AuditEntry.objects.filter(seq=4).values(*HASHED_FIELDS, "hash").get()
    assert row["scheme"] == AuditEntry.Scheme.HMAC_SHA256
    assert entry_hash(row) == row["hash"]
    settings.AUDIT_KEY = "another key"
    assert entry_hash(row) != row["hash"]


def test_the_database_refuses_truncate(chain):
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"), transaction.atomic():
        _sql("TRUNCATE core_auditentry")
    assert AuditEntry.objects.count() == 4


def test_verify_audit_writes_a_checkpoint_outside_the_database(chain, capsys, settings):
    from core.audit_checkpoint import read_checkpoint

    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "No earlier checkpoint" in out
    checkpoint = read_checkpoint()
    assert (checkpoint.seq, checkpoint.hash, checkpoint.entries) == (4, chain[-1].hash, 4)
    assert checkpoint.authentic()
    assert (settings.AUDIT_CHECKPOINT_DIR / "latest.json").exists()
    with transaction.atomic():
        record(None, "core.test.noted", ("core.test", "2", "later"))
    call_command("verify_audit")
    assert "Reaches the checkpoint of" in capsys.readouterr().out
    assert read_checkpoint().seq == 5


def test_verify_audit_fails_after_a_truncate_with_the_trigger_bypassed(chain, capsys):
    call_command("verify_audit")
    _bypassed("TRUNCATE core_auditentry")
    _verify_fails(capsys, "the trail ends at entry 0", "recorded entry 4: entries were removed from the end")


def test_verify_audit_fails_after_the_newest_entries_are_removed(chain, capsys):
    call_command("verify_audit")
    _bypassed("DELETE FROM core_auditentry WHERE seq > 2")
    _verify_fails(capsys, "the trail ends at entry 2", "recorded entry 4: entries were removed from the end")


def test_a_trimmed_tail_found_once_stays_found(chain, capsys):
    call_command("verify_audit")
    _bypassed("DELETE FROM core_auditentry WHERE seq > 2")
    _verify_fails(capsys, "recorded entry 4")
    with transaction.atomic():  # new entries do not paper over the gap: 3 and 4 now differ from the checkpoint
        record(None, "core.test.noted", ("core.test", "3", "x"))
        record(None, "core.test.noted", ("core.test", "4", "x"))
    _verify_fails(capsys, "entry 4: differs from the checkpoint")


def test_verify_audit_fails_after_an_object_repr_edit(chain, capsys):
    _bypassed("UPDATE core_auditentry SET object_repr = 'someone else' WHERE seq = 2")
    _verify_fails(capsys, "entry 2: was altered after it was written")


# Every stored field (but the surrogate id and the hash itself), changed as an intruder would.
FIELD_EDITS = {
    "scheme": "scheme = 1",
    "prev_hash": "prev_hash = md5('x') || md5('y')",
    "seq": "seq = seq + 100",
    "at": "at = at + interval '1 second'",
    "actor_id": "actor_id = actor_id + 1",
    "actor_name": "actor_name = 'mallory'",
    "action": "action = 'core.test.other'",
    "object_type": "object_type = 'core.other'",
    "object_id": "object_id = '2'",
    "object_repr": "object_repr = 'a different note'",
    "before": "before = '{\"a\": 0}'::jsonb",
    "after": "after = '{\"a\": 0}'::jsonb",
    "request_id": "request_id = 'req-forged'",
}


def test_every_stored_field_has_an_edit_below():
    stored = {f.attname for f in AuditEntry._meta.concrete_fields} - {"id", "hash"}
    assert stored == set(FIELD_EDITS)


@pytest.mark.parametrize("field", sorted(FIELD_EDITS))
def test_verify_audit_fails_after_any_stored_field_is_edited(chain, capsys, field):
    _bypassed(f"UPDATE core_auditentry SET {FIELD_EDITS[field]} WHERE seq = 4")
    _verify_fails(capsys)


def test_verify_audit_fails_after_the_chain_is_recomputed_with_plain_sha256(chain, capsys):
    _bypassed("UPDATE core_auditentry SET object_repr = 'forged' WHERE seq = 3")
    _recompute_chain(3, _plain_hash_of)
    _verify_fails(capsys, "entry 3: carries a plain SHA-256 hash after keyed entries")


def test_verify_audit_fails_after_the_whole_chain_is_recomputed_with_plain_sha256(chain, capsys):
    _bypassed("UPDATE core_auditentry SET actor_name = 'mallory' WHERE seq = 1")
    _recompute_chain(1, _plain_hash_of)
    _verify_fails(capsys, "no keyed entry seals them")


def test_verify_audit_fails_after_the_chain_is_recomputed_with_the_wrong_key(chain, capsys):
    from core.audit import entry_hash

    call_command("verify_audit")

    def wrong_key(row):
        from django.test import override_settings

        with override_settings(AUDIT_KEY="a key the intruder made up"):
            return entry_hash(row)

    _bypassed("UPDATE core_auditentry SET object_repr = 'forged' WHERE seq = 2")
    _recompute_chain(2, wrong_key)
    _verify_fails(capsys, "entry 2: was altered", "entry 4: was altered", "entry 4: differs from the checkpoint")


def test_a_checkpoint_edited_by_hand_does_not_verify(chain, capsys, settings):
    import json

    call_command("verify_audit")
    path = settings.AUDIT_CHECKPOINT_DIR / "latest.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "seq": 2, "hash": chain[1].hash}))
    _bypassed("DELETE FROM core_auditentry WHERE seq > 2")
    _verify_fails(capsys, "does not verify under the audit key")


# -- entries written before the keyed hash --------------------------------------------------------

def _legacy_entries(n: int) -> None:
    """n entries as the writer before migration 0005 wrote them: plain SHA-256, object_repr left out."""
    from datetime import UTC, datetime

    from core.audit import HASHED_FIELDS, entry_hash

    prev = GENESIS
    for seq in range(1, n + 1):
        row = {"scheme": 1, "prev_hash": prev, "seq": seq, "at": datetime.now(UTC), "actor_id": None,
               "actor_name": "system", "action": "core.test.old", "object_type": "core.test", "object_id": str(seq),
               "object_repr": f"old {seq}", "before": None, "after": {"n": seq}, "request_id": ""}
        prev = entry_hash(row)
        AuditEntry.objects.bulk_create([AuditEntry(**row, hash=prev)])
    assert set(HASHED_FIELDS) <= set(row)


@pytest.fixture
def sealed_legacy(db):
    from core.audit import seal_legacy_entries

    _legacy_entries(3)
    with transaction.atomic(), connection.cursor() as cur:
        assert seal_legacy_entries(cur) == 4
    with transaction.atomic():
        record(None, "core.test.noted", ("core.test", "5", "new"))


def test_entries_before_the_keyed_hash_verify_as_written_once_sealed(sealed_legacy, capsys):
    call_command("verify_audit")
    assert "OK: 5 entries, chain intact." in capsys.readouterr().out
    seal = AuditEntry.objects.get(seq=4)
    assert (seal.action, seal.scheme, seal.after["entries"]) == ("core.audit.legacy_sealed", 2, 3)


def test_the_seal_catches_an_object_repr_edit_in_an_entry_before_the_keyed_hash(sealed_legacy, capsys):
    _bypassed("UPDATE core_auditentry SET object_repr = 'forged' WHERE seq = 2")
    _verify_fails(capsys, "entry 4: seals entries 1..3", "an object_repr was altered")


def test_a_keyed_entry_after_plain_ones_must_be_their_seal(db, capsys):
    _legacy_entries(2)
    with transaction.atomic():
        record(None, "core.test.noted", ("core.test", "3", "new"))
    _verify_fails(capsys, "entry 3: follows entries with a plain hash but is not their seal")


def test_migration_0005_seals_nothing_on_a_new_database(db):
    from core.audit import seal_legacy_entries

    with transaction.atomic(), connection.cursor() as cur:
        assert seal_legacy_entries(cur) is None
    assert not AuditEntry.objects.exists()


# -- the nightly check ------------------------------------------------------------------------------

def test_the_nightly_job_writes_the_checkpoint_and_keeps_the_old_one_when_the_trail_is_broken(chain, settings):
    from core.audit_checkpoint import read_checkpoint
    from core.tasks import verify_audit_trail

    assert verify_audit_trail.delay().get() == {"ok": True, "entries": 4, "problems": 0, "checkpoint_seq": 4}
    _bypassed("DELETE FROM core_auditentry WHERE seq = 4")
    assert verify_audit_trail.delay().get()["ok"] is False
    assert read_checkpoint().seq == 4
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.tasks.verify_audit_trail" in schedule


def test_the_writers_prepared_hash_is_the_verifiers_hash(supervisor):
    """record() puts the keyed hash together from JSON prepared before the lock; verify_chain hashes the row."""
    from core.audit import HASHED_FIELDS, entry_hash

    with transaction.atomic():
        record(supervisor, "core.test.noted", ("core.test", "引号\"和\\反斜杠", "名称 \u2028 \t"),
               {"金额": "12.50", "list": [1, None, True]}, {"嵌套": {"b": 2, "a": 1}})
    row = AuditEntry.objects.values(*HASHED_FIELDS, "hash").get()
    assert entry_hash(row) == row["hash"]
