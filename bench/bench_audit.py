"""The audit writer under concurrency: entries per second with 8 writers, keyed hash against plain.

    python bench/bench_audit.py [--writers 8] [--seconds 2] [--rounds 10]

run() creates its own scratch database (the configured database's name + "_bench_audit", migrated,
dropped afterwards). Each round starts `writers` processes, each with its own connection, that write
one audit entry per transaction through core.audit.record (the chain's advisory lock, the last
entry, the INSERT, the commit) for `seconds`; rounds alternate the plain SHA-256 of the entries
written before issue 13 and the HMAC-SHA256 of every field (core.audit.WRITE_SCHEME), in pairs run
back to back, so that the machine's drift hits both alike. The figures: each scheme's median round,
and the median of the pairs' ratios; once with every commit waiting for the disk (as production
runs), once with synchronous_commit off, where the writers are bound by CPU and round trips and the
hash's share is largest. The hash alone is timed
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


def _writer(scheme: int, seconds: float, durable: bool, barrier, results) -> None:
    from django.db import connection, transaction

    import core.audit

    core.audit.WRITE_SCHEME = scheme
    connection.close()  # a connection of its own, not the parent's
    with connection.cursor() as cur:
        cur.execute(f"SET synchronous_commit = {'on' if durable else 'off'}")
    barrier.wait()
    deadline, n, cpu = time.perf_counter() + seconds, 0, time.process_time()
    while time.perf_counter() < deadline:
        with transaction.atomic():
            core.audit.record(None, "bench.entry.written", ("bench.entry", str(n), f"entry {n}"),
                              {"status": "SUBMITTED", "version": n}, {"status": "APPROVED", "version": n + 1})
        n += 1
    results.put((n, time.process_time() - cpu))
    connection.close()


def _round(scheme: int, writers: int, seconds: float, durable: bool = True) -> tuple[float, float]:
    """(entries per second, the writers' CPU µs per entry)."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(scheme, seconds, durable, barrier, results)) for _ in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    counts = [results.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join()
    entries, cpu = sum(n for n, _ in counts), sum(c for _, c in counts)
    return entries / seconds, cpu / entries * 1e6


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


def _series(writers: int, seconds: float, rounds: int, durable: bool) -> dict:
    """`rounds` pairs of rounds (plain, keyed), back to back, in alternating order."""
    from core.models import AuditEntry

    plain, keyed = AuditEntry.Scheme.LEGACY_SHA256, AuditEntry.Scheme.HMAC_SHA256
    rates: dict[int, list[float]] = {plain: [], keyed: []}
    cpu: dict[int, list[float]] = {plain: [], keyed: []}
    for r in range(rounds):
        for scheme in ((plain, keyed) if r % 2 == 0 else (keyed, plain)):
            rate, cpu_us = _round(scheme, writers, seconds, durable)
            rates[scheme].append(rate)
            cpu[scheme].append(cpu_us)
    plain_rate, keyed_rate = statistics.median(rates[plain]), statistics.median(rates[keyed])
    # Each pair ran back to back, so its ratio is less exposed to the machine's drift than the medians.
    ratios = [k / p for p, k in zip(rates[plain], rates[keyed], strict=True)]
    return {
        "plain_rates": rates[plain], "keyed_rates": rates[keyed], "plain_per_s": plain_rate,
        "keyed_per_s": keyed_rate, "cost_pct": (plain_rate - keyed_rate) / plain_rate * 100,
        "paired_cost_pct": (1 - statistics.median(ratios)) * 100,
        "plain_cpu_us": statistics.median(cpu[plain]), "keyed_cpu_us": statistics.median(cpu[keyed]),
    }


def run(writers: int = 8, seconds: float = 2.0, rounds: int = 10) -> dict:
    _setup_django()
    from core.models import AuditEntry

    plain, keyed = AuditEntry.Scheme.LEGACY_SHA256, AuditEntry.Scheme.HMAC_SHA256
    with scratch_database("_bench_audit"):
        _round(keyed, writers, 1.0)  # warm-up: connections, caches, the table's first pages
        durable = _series(writers, seconds, rounds, durable=True)
        cpu_bound = _series(writers, seconds, rounds, durable=False)
        hash_us = {s: _hash_microseconds(s) for s in (plain, keyed)}
        chain_ok, entries = _links_hold()
        verify_s, verified = _verify_speed(writers, seconds)
    return {
        "writers": writers, "seconds": seconds, "rounds": rounds, "durable": durable, "cpu_bound": cpu_bound,
        "plain_hash_us": hash_us[plain][0], "keyed_hash_us": hash_us[keyed][0],
        "plain_locked_us": hash_us[plain][1], "keyed_locked_us": hash_us[keyed][1],
        "entries": entries, "chain_ok": chain_ok, "verify_per_s": verified / verify_s,
    }


def report(f: dict) -> None:
    print(f"Audit writer (issue 13): {f['writers']} concurrent writers (processes, a connection each), one entry "
          f"per transaction; {f['rounds']} back-to-back pairs of {f['seconds']:.0f} s rounds per series; entries/s, "
          "median round")
    print(f"{'series':<34} {'plain SHA-256':>14} {'HMAC-SHA256':>12} {'cost':>7} {'paired':>7} "
          f"{'writer CPU µs/entry':>20}  rounds (plain | keyed)")
    for name, key in (("commit waits for the disk", "durable"), ("synchronous_commit off (worst case)", "cpu_bound")):
        x = f[key]
        print(f"{name:<34} {x['plain_per_s']:>14.0f} {x['keyed_per_s']:>12.0f} {x['cost_pct']:>6.1f}% "
              f"{x['paired_cost_pct']:>6.1f}% {x['plain_cpu_us']:>9.0f} → {x['keyed_cpu_us']:<8.0f}  "
              f"{' '.join(f'{r:.0f}' for r in x['plain_rates'])} | {' '.join(f'{r:.0f}' for r in x['keyed_rates'])}")
    print(f"(cost: between the medians; paired: median of the pairs' ratios. Target: under 10%.) The hash of one "
          f"entry: plain {f['plain_hash_us']:.1f} µs, keyed {f['keyed_hash_us']:.1f} µs, of which under the chain's "
          f"lock {f['plain_locked_us']:.1f} and {f['keyed_locked_us']:.1f} µs.")
    print(f"Chain of {f['entries']:,} entries {'intact' if f['chain_ok'] else 'BROKEN'} (no fork); verify_audit "
          f"walks {f['verify_per_s']:,.0f} entries/s.")


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
