"""`make bench`: measure and print figures (not a test). Uses a scratch database it creates.

    make bench                       # 100k, 300k and 1M persons, then the audit writer
    make bench BENCH_ARGS="--sizes 100000"
    make bench BENCH_ARGS="--parts audit"   # only the audit writer (8 writers, keyed vs plain hash)
    make bench BENCH_ARGS="--parts settlement"   # a provider's claims upload, then the review (issue 16)
    make bench BENCH_ARGS="--parts settlement-review --review-explain /tmp/plans.txt"   # only the review
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scratch_database(name: str) -> tuple[dict, str]:
    """A fresh, migrated database on the DATABASE_URL server (or the embedded one)."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        from config.embedded_pg import database_settings

        s = database_settings(ROOT / ".data")
        base = f"postgresql://{s['USER']}@/{s['NAME']}?host={s['HOST']}"
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    dsn = urlunsplit(parts._replace(path=f"/{name}"))
    from bench.reconcile import sql_command

    sql_command(admin, f"DROP DATABASE IF EXISTS {name}")
    sql_command(admin, f"CREATE DATABASE {name}")
    env = {**os.environ, "DATABASE_URL": dsn, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--skip-checks"], cwd=ROOT, env=env, check=True)
    return env, dsn


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--parts", default="reconcile,audit,calculation,eligibility,settlement",
                        help="reconcile (with search), audit, calculation, eligibility (loaders and coverage), "
                             "settlement (settlement-upload: a provider's claims upload; settlement-review: the "
                             "review of a batch against a full register, bench/settlement_review.py)")
    parser.add_argument("--settlement-lines", default="100000,500000",
                        help="claim lines of the claims-upload bench, comma-separated")
    parser.add_argument("--review-lines", default="100000", help="lines of the batch the review bench reviews")
    parser.add_argument("--review-big", default="500000", help="lines of each of the review bench's two big files")
    parser.add_argument("--review-sample", default="5000", help="lines the ORM row-by-row comparison reviews")
    parser.add_argument("--review-explain", default="", help="write EXPLAIN ANALYZE of every rule to this file")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "settlement" in parts:
        parts |= {"settlement-upload", "settlement-review"}
    if "reconcile" in parts:
        reconcile_and_search(args)
    if "audit" in parts:
        from bench import bench_audit

        print()
        bench_audit.report(bench_audit.run())
    if "calculation" in parts:
        from bench import calculation

        print()
        calculation.print_figures(calculation.run())
    if "eligibility" in parts:
        print()
        eligibility(args)
    if "settlement-upload" in parts:
        print()
        settlement(args)
    if "settlement-review" in parts:
        print()
        settlement_review(args)
    return 0


def settlement(args) -> None:
    """A provider's claims upload and its check (bench/settlement_upload.py), in its own scratch database."""
    env, dsn = scratch_database("verif_bench_settlement")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()  # the demo's identity numbers use the project's modules
    from bench import settlement_upload

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        figures = settlement_upload.run(env, dsn, [int(n) for n in args.settlement_lines.split(",")], Path(tmp))
    settlement_upload.print_figures(figures)
    if not args.keep:
        from urllib.parse import urlsplit, urlunsplit

        from bench.reconcile import sql_command

        sql_command(urlunsplit(urlsplit(dsn)._replace(path="/postgres")),
                    "DROP DATABASE IF EXISTS verif_bench_settlement WITH (FORCE)")


def settlement_review(args) -> None:
    """The review of a batch (bench/settlement_review.py) against 1,000,000 persons, 100,000 registrations and
    50,000 catalogue items, in its own scratch database; the floor and the ORM comparison in the same run."""
    env, dsn = scratch_database("verif_bench_review")
    command = [sys.executable, "bench/settlement_review.py", "--lines", args.review_lines, "--big", args.review_big,
               "--sample", args.review_sample]
    if args.review_explain:
        command += ["--explain", args.review_explain]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    if not args.keep:
        from urllib.parse import urlsplit, urlunsplit

        from bench.reconcile import sql_command

        sql_command(urlunsplit(urlsplit(dsn)._replace(path="/postgres")),
                    "DROP DATABASE IF EXISTS verif_bench_review WITH (FORCE)")


def eligibility(args) -> None:
    """The loaders and the coverage check (bench/eligibility.py, then bench/coverage_load.py on the same
    data), in their own scratch database at the largest size."""
    persons = str(max(int(s) for s in args.sizes.split(",")))
    env, dsn = scratch_database("verif_bench_eligibility")
    subprocess.run([sys.executable, "bench/eligibility.py", "--persons", persons], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "bench/coverage_load.py", "--persons", persons], cwd=ROOT, env=env, check=True)
    if not args.keep:
        from urllib.parse import urlsplit, urlunsplit

        from bench.reconcile import sql_command

        sql_command(urlunsplit(urlsplit(dsn)._replace(path="/postgres")),
                    "DROP DATABASE IF EXISTS verif_bench_eligibility WITH (FORCE)")


def reconcile_and_search(args) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    env, dsn = scratch_database("verif_bench")
    os.environ.update({"DATABASE_URL": dsn, "DJANGO_SETTINGS_MODULE": "config.settings"})
    import django

    django.setup()
    from bench import reconcile

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        results = reconcile.run(env, dsn, sizes, Path(tmp))
    print()
    print("Reconciliation (issue 4): whole job on an N-person register vs an N-row extract with 2% differences")
    print(f"{'N':>9} {'ours s':>8} {'(engine)':>9} {'peak MB':>8} {'floor s':>8} {'×floor':>7} {'duckdb s':>9} "
          f"{'×duckdb':>8} {'ORM loop s (extrap.)':>21} {'ORM/ours':>9}")
    for r in results:
        print(f"{r['n']:>9} {r['reconcile_wall_s']:>8.2f} {r['reconcile_engine_s']:>9.2f} {r['reconcile_mb']:>8.0f} "
              f"{r['floor_s']:>8.2f} {r['reconcile_engine_s'] / r['floor_s']:>7.2f} {r['duckdb_s']:>9.2f} "
              f"{r['reconcile_engine_s'] / r['duckdb_s']:>8.2f} {r['orm_extrapolated_s']:>21.1f} "
              f"{r['orm_extrapolated_s'] / r['reconcile_engine_s']:>9.0f}")
    for r in results:
        print(f"  N={r['n']}: phases {r['phases']}; open after the run: {' '.join(r['counts'])}")
    print()
    print("load_enrollment (issue 3): N rows into an empty register, all or nothing")
    for r in results:
        print(f"{r['n']:>9} rows: {r['load_s']:.2f} s, peak {r['load_mb']:.0f} MB; {' '.join(r['load_out'])}")
    print("\n(ours s: the reconcile_enrollment process from start to exit, Django start-up included; engine: the "
          "job itself as timed inside it; floor: bare COPY + one join in PostgreSQL.)")
    try:
        from bench import bench_search
    except ImportError:
        bench_search = None
    if bench_search is not None:
        figures = bench_search.run(max(sizes))
        print()
        print(f"Search (issue 14) with {figures['persons']:,} persons and {figures['employers']:,} employers, "
              f"50 searches each, ms (target p95 {figures['target_ms']:.0f} ms):")
        print(f"{'search':<15} {'query median':>13} {'query p95':>10} {'page median':>12} {'page p95':>9}")
        for kind, label in bench_search.KINDS.items():
            f = figures[kind]
            print(f"{kind:<15} {f['median_ms']:>13.1f} {f['p95_ms']:>10.1f} {f['page']['median_ms']:>12.1f} "
                  f"{f['page']['p95_ms']:>9.1f}  {label}")
    if not args.keep:
        from urllib.parse import urlsplit, urlunsplit

        admin = urlunsplit(urlsplit(dsn)._replace(path="/postgres"))
        from django.db import connections

        connections.close_all()
        reconcile.sql_command(admin, "DROP DATABASE IF EXISTS verif_bench WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
