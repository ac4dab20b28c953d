"""`make bench`: measure and print figures (not a test). Uses a scratch database it creates.

    make bench                       # 100k, 300k and 1M persons
    make bench BENCH_ARGS="--sizes 100000"
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
    args = parser.parse_args()
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
