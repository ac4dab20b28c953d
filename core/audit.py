"""The one writer of the audit trail, and its verification.

record() must run inside the transaction of the change it describes. Entries form a hash chain:
each entry's hash covers its own fields and the previous entry's hash, in `seq` order. A
transaction-scoped advisory lock orders concurrent writers, so the chain never forks.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction

from .context import request_id
from .locks import AUDIT_CHAIN, xact_lock
from .models import AuditEntry

GENESIS = "0" * 64


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _normalise(value):
    """What the JSON column will give back, so that the stored entry hashes as it was hashed."""
    return None if value is None else json.loads(_canonical(value))


def entry_hash(prev_hash: str, seq: int, at: datetime, actor_id, actor_name: str, action: str,
               object_type: str, object_id: str, before, after, rid: str) -> str:
    payload = _canonical([
        prev_hash, seq, at.astimezone(UTC).isoformat(), actor_id, actor_name, action,
        object_type, object_id, before, after, rid,
    ])
    return hashlib.sha256(payload.encode()).hexdigest()


def object_ref(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):  # (type label, id, repr) for things that are not model instances
        return obj
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


def record(actor, action: str, obj, before=None, after=None) -> AuditEntry:
    """Append one audit entry. `actor` is a user or None (a scheduled job)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("core.audit.record must run inside the transaction of the change")
    xact_lock(AUDIT_CHAIN)
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    object_type, object_id, object_repr = object_ref(obj)
    actor_id = getattr(actor, "pk", None)
    actor_name = actor.get_username() if actor is not None else "system"
    at = datetime.now(UTC)
    before, after = _normalise(before), _normalise(after)
    rid = request_id.get()
    digest = entry_hash(prev, seq, at, actor_id, actor_name, action, object_type, object_id, before, after, rid)
    return AuditEntry.objects.create(
        seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action,
        object_type=object_type, object_id=object_id, object_repr=object_repr,
        before=before, after=after, request_id=rid, prev_hash=prev, hash=digest,
    )


def record_many(actor, action: str, items: list[tuple[object, dict | None, dict | None]]) -> int:
    """Append one entry per (obj, before, after), chained, in one INSERT (bulk operations)."""
    if not items:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("core.audit.record_many must run inside the transaction of the change")
    xact_lock(AUDIT_CHAIN)
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    actor_id = getattr(actor, "pk", None)
    actor_name = actor.get_username() if actor is not None else "system"
    at, rid = datetime.now(UTC), request_id.get()
    entries = []
    for obj, before, after in items:
        seq += 1
        object_type, object_id, object_repr = object_ref(obj)
        before, after = _normalise(before), _normalise(after)
        digest = entry_hash(prev, seq, at, actor_id, actor_name, action, object_type, object_id, before, after, rid)
        entries.append(AuditEntry(
            seq=seq, at=at, actor_id=actor_id, actor_name=actor_name, action=action, object_type=object_type,
            object_id=object_id, object_repr=object_repr, before=before, after=after, request_id=rid,
            prev_hash=prev, hash=digest,
        ))
        prev = digest
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


@dataclass
class ChainProblem:
    seq: int
    message: str


def verify_chain(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order; report altered entries, broken links and missing positions."""
    problems: list[ChainProblem] = []
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    with connection.cursor() as cur:
        cur.execute("SELECT min(seq) FROM core_auditentry")
        first = cur.fetchone()[0]
    if first is None:
        return 0, []
    last_seq = 0
    while True:
        rows = list(
            AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")
            .values_list("seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id",
                         "before", "after", "request_id", "prev_hash", "hash")[:batch_size]
        )
        if not rows:
            break
        for seq, at, actor_id, actor_name, action, otype, oid, before, after, rid, stored_prev, stored_hash in rows:
            if seq != expected_seq:
                problems.append(ChainProblem(seq, f"entries {expected_seq}..{seq - 1} are missing"))
            if stored_prev != prev_hash:
                problems.append(ChainProblem(seq, "does not link to the entry before it"))
            digest = entry_hash(stored_prev, seq, at, actor_id, actor_name, action, otype, oid, before, after, rid)
            if digest != stored_hash:
                problems.append(ChainProblem(seq, "was altered after it was written"))
            prev_hash, expected_seq, last_seq = stored_hash, seq + 1, seq
            checked += 1
    return checked, problems
