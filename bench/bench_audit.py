"""The audit writer under concurrency: entries per second with 8 writers, keyed hash against plain.

    python bench/bench_audit.py [--writers 8] [--seconds 2] [--rounds 10]

run() creates its own scratch database (the configured database's name + "_bench_audit", migrated,
dropped afterwards). Each round starts `writers` processes, each with its own connection, that write
one audit entry per transaction through core.audit.record (the chain's advisory lock, the last
entry, the INSERT, the commit) for `seconds`; rounds alternate the plain SHA-256 of the entries
written before issue 13 and the HMAC-SHA256 of every field (core.audit.WRITE_SCHEME), in pairs run
back to back, so that the machine's drift hits both alike. The figures: each scheme's median round,
and the median of the pairs' ratios. The hash alone is timed
too, without the database. At the end every entry must link to the one before it, seq without gaps
(the writers never forked the chain); verify_chain's speed is timed on the keyed entries alone, as
the mixed schemes of the benchmark are not a trail it would accept.
"""

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_search import _setup_django, scratch_database  # noqa: E402


def _writer(scheme: int, seconds: float, barrier, results) -> None:
    from django.db import connection, transaction

    import core.audit

    core.audit.WRITE_SCHEME = scheme
    connection.close()  # a connection of its own, not the parent's
    connection.ensure_connection()
    barrier.wait()
    deadline, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        with transaction.atomic():
            core.audit.record(None, "bench.entry.written", ("bench.entry", str(n), f"entry {n}"),
                              {"status": "SUBMITTED", "version": n}, {"status": "APPROVED", "version": n + 1})
        n += 1
    results.put(n)
    connection.close()


def _round(scheme: int, writers: int, seconds: float) -> float:
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(scheme, seconds, barrier, results)) for _ in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    total = sum(results.get(timeout=seconds + 60) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def _hash_microseconds(scheme: int, n: int = 20000) -> tuple[float, float]:
    """(the whole hash of an entry, the part of it that runs under the chain's lock), in µs."""
    from datetime import UTC, datetime

    from core import audit

    previous, audit.WRITE_SCHEME = audit.WRITE_SCHEME, scheme
    try:
        def draft():
            return audit._draft(None, "enrollment.application.approved",
                                ("enrollment.application", "4711", "ZC-2026-004711"),
                                {"status": "UNDER_REVIEW", "version": 3}, {"status": "APPROVED", "version": 4},
                                "3f9c2a7e4b1d4e0f")

        fields, tail = draft()
        at, prev = datetime.now(UTC), "0" * 64
        row = {**fields, "seq": 123456, "at": at, "prev_hash": prev, "scheme": scheme}
        if tail is None:
            def in_lock():
                return audit.entry_hash(row)
        else:
            def in_lock():
                return audit._keyed_hash(prev, 123456, at, tail)

        def whole():
            draft()
            return in_lock()

        timings = []
        for fn in (whole, in_lock):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            timings.append((time.perf_counter() - start) / n * 1e6)
        return timings[0], timings[1]
    finally:
        audit.WRITE_SCHEME = previous


def _links_hold() -> tuple[bool, int]:
    """Every entry links to the one before, and seq has no gap: concurrent writers did not fork the chain."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*), min(e.seq), max(e.seq), count(*) FILTER (WHERE prev.hash IS DISTINCT FROM "
                    "e.prev_hash AND e.seq > 1) FROM core_auditentry e LEFT JOIN core_auditentry prev "
                    "ON prev.seq = e.seq - 1")
        count, first, last, broken = cur.fetchone()
    return first == 1 and last == count and broken == 0, count


def _verify_speed(writers: int, seconds: float) -> tuple[float, int]:
    """verify_chain over a trail of keyed entries only (a fresh scratch database's worth)."""
    from django.db import connection

    from core.audit import verify_chain
    from core.models import AuditEntry

    with connection.cursor() as cur:  # the benchmark's own entries, plain and keyed, make way
        cur.execute("SET session_replication_role = replica")
        cur.execute("TRUNCATE core_auditentry")
        cur.execute("SET session_replication_role = origin")
    _round(AuditEntry.Scheme.HMAC_SHA256, writers, seconds)
    start = time.perf_counter()
    verification = verify_chain()
    assert verification.ok, verification.problems[:3]
    return time.perf_counter() - start, verification.checked


def run(writers: int = 8, seconds: float = 2.0, rounds: int = 10) -> dict:
    _setup_django()
    from core.models import AuditEntry

    plain, keyed = AuditEntry.Scheme.LEGACY_SHA256, AuditEntry.Scheme.HMAC_SHA256
    with scratch_database("_bench_audit"):
        _round(keyed, writers, 1.0)  # warm-up: connections, caches, the table's first pages
        rates: dict[int, list[float]] = {plain: [], keyed: []}
        for r in range(rounds):  # pairs of rounds, in alternating order
            for scheme in ((plain, keyed) if r % 2 == 0 else (keyed, plain)):
                rates[scheme].append(_round(scheme, writers, seconds))
        hash_us = {s: _hash_microseconds(s) for s in (plain, keyed)}
        chain_ok, entries = _links_hold()
        verify_s, verified = _verify_speed(writers, seconds)
    plain_rate, keyed_rate = statistics.median(rates[plain]), statistics.median(rates[keyed])
    # Each pair ran back to back, so its ratio is less exposed to the machine's drift than the medians.
    ratios = [k / p for p, k in zip(rates[plain], rates[keyed], strict=True)]
    return {
        "writers": writers, "seconds": seconds, "rounds": rounds,
        "plain_rates": rates[plain], "keyed_rates": rates[keyed],
        "plain_per_s": plain_rate, "keyed_per_s": keyed_rate, "cost_pct": (plain_rate - keyed_rate) / plain_rate * 100,
        "paired_cost_pct": (1 - statistics.median(ratios)) * 100,
        "plain_hash_us": hash_us[plain][0], "keyed_hash_us": hash_us[keyed][0],
        "plain_locked_us": hash_us[plain][1], "keyed_locked_us": hash_us[keyed][1],
        "entries": entries, "chain_ok": chain_ok, "verify_per_s": verified / verify_s,
    }


def report(f: dict) -> None:
    print(f"Audit writer (issue 13): {f['writers']} concurrent writers (processes, a connection each), one entry "
          f"per transaction, {f['rounds']} rounds of {f['seconds']:.0f} s per hash, median round")
    print(f"{'hash':<28} {'entries/s':>10} {'hash µs':>8} {'under lock µs':>14}  rounds")
    for name, key in (("plain SHA-256 (before)", "plain"), ("HMAC-SHA256, every field", "keyed")):
        print(f"{name:<28} {f[key + '_per_s']:>10.0f} {f[key + '_hash_us']:>8.1f} {f[key + '_locked_us']:>14.1f}  "
              f"{' '.join(f'{r:.0f}' for r in f[key + '_rates'])}")
    print(f"cost of the keyed hash: {f['cost_pct']:.1f}% between the medians, {f['paired_cost_pct']:.1f}% as the "
          f"median of the {f['rounds']} back-to-back pairs (target < 10%)")
    print(f"chain of {f['entries']:,} entries "
          f"{'intact' if f['chain_ok'] else 'BROKEN'}; verify_audit walks {f['verify_per_s']:,.0f} entries/s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    report(run(args.writers, args.seconds, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
