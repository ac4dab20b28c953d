"""The one writer of the audit trail, and its verification.

record() must run inside the transaction of the change it describes. Entries form a hash chain:
each entry's hash is an HMAC-SHA256, under a key kept outside the database (`audit_key`), of
every stored field of the entry and the previous entry's hash, in `seq` order. Someone who can
write to the database but does not hold the key cannot alter an entry, or recompute the chain
after one, without `verify_chain` seeing it; a checkpoint kept outside the database
(core.audit_checkpoint) finds entries removed from the end. A transaction-scoped advisory lock
orders concurrent writers, so the chain never forks; it is taken last, just before the INSERT,
and held only to the end of the transaction: do slow work (rendering a PDF) before the first
record() of a transaction.

Entries written before the keyed hash (scheme 1, plain SHA-256 of the fields but object_repr)
are verified as they were written, and sealed by one keyed entry that migration 0005 writes after
them (`seal_legacy_entries`): its HMAC covers the last plain hash, so the plain chain cannot be
recomputed, and a digest of their object_repr, which their own hash left out. A plain entry after
a keyed one is reported.
"""

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from .context import request_id
from .locks import AUDIT_CHAIN, holds, xact_lock
from .models import AuditEntry

GENESIS = "0" * 64
Scheme = AuditEntry.Scheme
# What record() writes. Only `make bench` changes it, to measure the plain hash against the keyed one.
WRITE_SCHEME = Scheme.HMAC_SHA256


# -- the key ---------------------------------------------------------------------------------------
def audit_key() -> bytes:
    """AUDIT_KEY, else the file AUDIT_KEY_FILE, else a key generated once into DATA_DIR/audit_key."""
    return _load_key(settings.AUDIT_KEY, str(settings.AUDIT_KEY_FILE or ""), str(settings.DATA_DIR))


@lru_cache(maxsize=8)
def _load_key(key: str, key_file: str, data_dir: str) -> bytes:
    if key:
        return key.encode()
    if key_file:
        text = Path(key_file).read_text().strip()
        if not text:
            raise ImproperlyConfigured(f"AUDIT_KEY_FILE {key_file} is empty.")
        return text.encode()
    path = Path(data_dir) / "audit_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and linked into place, so that two processes starting at once agree on one key.
        tmp = path.with_name(f".audit_key.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


def mac(payload: str) -> str:
    return hmac.digest(audit_key(), payload.encode(), "sha256").hex()


# -- hashing ---------------------------------------------------------------------------------------
def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _normalise(value):
    """What the JSON column will give back, so that the stored entry hashes as it was hashed."""
    return None if value is None else json.loads(_canonical(value))


# Every stored field but the surrogate `id` and the hash itself, in the order scheme 2 hashes them.
# A field added to AuditEntry needs a new scheme (old entries keep verifying under theirs).
HASHED_FIELDS = ("scheme", "prev_hash", "seq", "at", "actor_id", "actor_name", "action", "object_type",
                 "object_id", "object_repr", "before", "after", "request_id")


def entry_hash(row: dict) -> str:
    """The hash of one entry (a dict of HASHED_FIELDS) under its scheme."""
    at = row["at"].astimezone(UTC).isoformat()
    if row["scheme"] == Scheme.LEGACY_SHA256:
        payload = _canonical([row["prev_hash"], row["seq"], at, row["actor_id"], row["actor_name"], row["action"],
                              row["object_type"], row["object_id"], row["before"], row["after"], row["request_id"]])
        return hashlib.sha256(payload.encode()).hexdigest()
    if row["scheme"] == Scheme.HMAC_SHA256:
        return mac(_canonical([row[f] if f != "at" else at for f in HASHED_FIELDS]))
    raise ValueError(f"unknown audit hash scheme {row['scheme']!r}")


def object_ref(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):  # (type label, id, repr) for things that are not model instances
        return obj
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


# -- writing ---------------------------------------------------------------------------------------
def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"core.audit.{name} must run inside the transaction of the change")


def _draft(actor, action: str, obj, before, after, rid: str) -> tuple[dict, str | None]:
    """An entry's fields that do not depend on its place in the chain, prepared before the lock, with the
    canonical JSON of what the keyed hash covers after the chain's four fields (so that only the HMAC
    itself runs under the lock)."""
    object_type, object_id, object_repr = object_ref(obj)
    fields = {
        "actor_id": getattr(actor, "pk", None), "actor_name": actor.get_username() if actor is not None else "system",
        "action": action, "object_type": object_type, "object_id": object_id, "object_repr": object_repr,
        "before": _normalise(before), "after": _normalise(after), "request_id": rid,
    }
    keyed = WRITE_SCHEME == Scheme.HMAC_SHA256
    return fields, _canonical([fields[f] for f in HASHED_FIELDS[4:]]) if keyed else None


def _keyed_hash(prev_hash: str, seq: int, at: datetime, tail: str) -> str:
    """entry_hash of a scheme-2 entry from its prepared tail: the same canonical JSON, put together."""
    return mac(f'[{int(Scheme.HMAC_SHA256)},"{prev_hash}",{seq},"{at.astimezone(UTC).isoformat()}",{tail[1:]}')


def _own_blocks(conn) -> int:
    """How many of the open atomic blocks a test case opened around the test (Django marks them)."""
    n = 0
    while n < len(conn.atomic_blocks) and conn.atomic_blocks[n]._from_testcase:
        n += 1
    return n


def _scope(conn):
    """Under a test case's wrapping blocks, the code's own outermost block stands for its transaction."""
    n = _own_blocks(conn)
    if n == 0 or n == len(conn.atomic_blocks):
        return None
    return conn.savepoint_ids[n - 1] or id(conn.atomic_blocks[n])


def chain_lock_taken() -> bool:
    """Whether this transaction took the chain's lock already (wrote an audit entry): it keeps it to the end."""
    conn = transaction.get_connection()
    if _own_blocks(conn) == 0:
        return holds(AUDIT_CHAIN)  # a real transaction: PostgreSQL knows
    scope = _scope(conn)
    return scope is not None and getattr(conn, "_audit_chain_scope", None) == scope


def _chain(drafts: list[tuple[dict, str | None]]) -> list[AuditEntry]:
    """Take the chain's lock, then number, time and hash the drafts after the last entry."""
    xact_lock(AUDIT_CHAIN)
    conn = transaction.get_connection()
    conn._audit_chain_scope = _scope(conn)
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = last if last else (0, GENESIS)
    at = datetime.now(UTC)
    entries = []
    for fields, tail in drafts:
        seq += 1
        row = {**fields, "seq": seq, "at": at, "prev_hash": prev,
               "scheme": Scheme.HMAC_SHA256 if tail is not None else WRITE_SCHEME}
        prev = _keyed_hash(prev, seq, at, tail) if tail is not None else entry_hash(row)
        entries.append(AuditEntry(**row, hash=prev))
    return entries


def record(actor, action: str, obj, before=None, after=None) -> AuditEntry:
    """Append one audit entry. `actor` is a user or None (a scheduled job)."""
    _require_transaction("record")
    draft = _draft(actor, action, obj, before, after, request_id.get())
    (entry,) = _chain([draft])
    entry.save(force_insert=True)
    return entry


def record_many(actor, action: str, items: list[tuple[object, dict | None, dict | None]]) -> int:
    """Append one entry per (obj, before, after), chained, in one INSERT (bulk operations)."""
    if not items:
        return 0
    _require_transaction("record_many")
    rid = request_id.get()
    drafts = [_draft(actor, action, obj, before, after, rid) for obj, before, after in items]
    entries = _chain(drafts)
    AuditEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


# -- the entries written before the keyed hash ---------------------------------------------------
SEAL_ACTION = "core.audit.legacy_sealed"


class _LegacyReprs:
    """A running digest of the object_repr of scheme-1 entries, in seq order."""

    def __init__(self):
        self.sha, self.count, self.last_seq = hashlib.sha256(), 0, 0

    def add(self, seq: int, object_repr: str) -> None:
        self.sha.update((_canonical([seq, object_repr]) + "\n").encode())
        self.count, self.last_seq = self.count + 1, seq

    def summary(self) -> dict:
        return {"entries": self.count, "through_seq": self.last_seq, "object_repr_sha256": self.sha.hexdigest()}


def seal_legacy_entries(cursor) -> int | None:
    """Append the keyed entry that seals the plain-hash entries before it (migration 0005); returns its
    seq, or None when there is nothing to seal. Raw SQL over the columns of 0005, so that the migration
    keeps working after later ones change the model."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [AUDIT_CHAIN])
    reprs, last = _LegacyReprs(), None
    while True:  # in pages: a trail of millions of entries stays out of memory
        cursor.execute("SELECT seq, object_repr, hash, scheme FROM core_auditentry WHERE seq > %s ORDER BY seq "
                       "LIMIT 20000", [last[0] if last else 0])
        rows = cursor.fetchall()
        if not rows:
            break
        for seq, object_repr, digest, scheme in rows:
            if scheme != Scheme.LEGACY_SHA256:
                return None  # already keyed: sealed before
            reprs.add(seq, object_repr)
            last = (seq, digest)
    if last is None:
        return None
    row = {
        "scheme": Scheme.HMAC_SHA256, "prev_hash": last[1], "seq": last[0] + 1, "at": datetime.now(UTC),
        "actor_id": None, "actor_name": "system", "action": SEAL_ACTION, "object_type": "core.auditentry",
        "object_id": str(last[0]), "object_repr": f"entries 1..{last[0]}", "before": None,
        "after": reprs.summary(), "request_id": "",
    }
    cursor.execute(  # the column names are the constants above
        f"INSERT INTO core_auditentry ({', '.join(HASHED_FIELDS)}, hash) VALUES ({', '.join(['%s'] * 14)})",  # noqa: S608
        [*(json.dumps(row[f]) if f == "after" else row[f] for f in HASHED_FIELDS), entry_hash(row)],
    )
    return row["seq"]


# -- verifying -------------------------------------------------------------------------------------
@dataclass
class ChainProblem:
    seq: int
    message: str


class Verification(NamedTuple):
    checked: int
    problems: list[ChainProblem]
    last_seq: int  # 0 for an empty trail
    last_hash: str  # GENESIS for an empty trail

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(checkpoint=None, batch_size: int = 5000) -> Verification:
    """Walk the chain in order; report altered entries, broken links, missing positions, plain hashes
    after keyed ones and, given a checkpoint (core.audit_checkpoint), a chain that no longer reaches it."""
    problems: list[ChainProblem] = []
    prev_hash, expected_seq, checked, keyed_seen, at_checkpoint = GENESIS, 1, 0, False, None
    legacy = _LegacyReprs()
    fields = (*HASHED_FIELDS, "hash")
    last_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq").values(*fields)[:batch_size])
        if not rows:
            break
        for row in rows:
            seq = row["seq"]
            if seq != expected_seq:
                problems.append(ChainProblem(seq, f"entries {expected_seq}..{seq - 1} are missing"))
            if row["prev_hash"] != prev_hash:
                problems.append(ChainProblem(seq, "does not link to the entry before it"))
            problems += _entry_problems(row, keyed_seen)
            if row["scheme"] == Scheme.LEGACY_SHA256:
                legacy.add(seq, row["object_repr"])
            elif not keyed_seen and legacy.count:
                problems += _seal_problems(row, legacy)
            keyed_seen = keyed_seen or row["scheme"] == Scheme.HMAC_SHA256
            if checkpoint is not None and seq == checkpoint.seq:
                at_checkpoint = row["hash"]
            prev_hash, expected_seq, last_seq = row["hash"], seq + 1, seq
            checked += 1
    if legacy.count and not keyed_seen:  # migration 0005 sealed every plain entry with a keyed one
        problems.append(ChainProblem(legacy.last_seq, f"entries 1..{legacy.last_seq} carry plain SHA-256 hashes "
                                     "and no keyed entry seals them: the chain was recomputed without the key"))
    if checkpoint is not None:
        problems += checkpoint.problems(last_seq, at_checkpoint)
    return Verification(checked, problems, last_seq, prev_hash)


def _entry_problems(row: dict, keyed_seen: bool) -> list[ChainProblem]:
    seq, scheme = row["seq"], row["scheme"]
    if scheme not in Scheme.values:
        return [ChainProblem(seq, f"has an unknown hash scheme {scheme}")]
    out = []
    if scheme == Scheme.LEGACY_SHA256 and keyed_seen:
        out.append(ChainProblem(seq, "carries a plain SHA-256 hash after keyed entries: the chain was recomputed"))
    if not hmac.compare_digest(entry_hash(row), row["hash"]):
        out.append(ChainProblem(seq, "was altered after it was written (or hashed without the audit key)"))
    return out


def _seal_problems(row: dict, legacy: _LegacyReprs) -> list[ChainProblem]:
    """The first keyed entry after plain ones must be their seal, and still match them."""
    if row["action"] != SEAL_ACTION:
        return [ChainProblem(row["seq"], "follows entries with a plain hash but is not their seal")]
    if row["after"] != legacy.summary():
        return [ChainProblem(row["seq"], f"seals entries 1..{row['object_id']} written before the keyed hash, "
                                         "and they no longer match it: an object_repr was altered")]
    return []
