"""Named PostgreSQL advisory locks, for jobs that must not overlap (pretix's locking idea).

Lock names hash to one 64-bit key with PostgreSQL's own hashtext, so any process, in any
language, can take the same lock by name.
"""

from contextlib import contextmanager

from django.db import connection

AUDIT_CHAIN = "core.audit.chain"


def xact_lock(name: str) -> None:
    """Wait for the lock; it is released when the current transaction ends."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])


def try_xact_lock(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [name])
        return cur.fetchone()[0]


def holds(name: str) -> bool:
    """Whether this session holds the lock now (taken by the transaction or the session)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
            "AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(%s, 0))",
            [name],
        )
        return cur.fetchone()[0]


def held_by_anyone(name: str) -> bool:
    """Whether any session of this database holds the lock now: a job whose process was killed holds
    it no more (PostgreSQL releases a session's locks when its connection ends). Advisory locks are
    per database, so another database's holder on the same server does not count."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(%s, 0))",
            [name],
        )
        return cur.fetchone()[0]


@contextmanager
def session_lock(name: str, *, wait: bool = False):
    """Hold a session-level lock around a block that commits several transactions.

    Yields True when the lock was taken, False when another session holds it (wait=False).
    """
    with connection.cursor() as cur:
        if wait:
            cur.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
            taken = True
        else:
            cur.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [name])
            taken = cur.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])
