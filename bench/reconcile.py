"""Benchmark of the nightly reconciliation (issue 4) and load_enrollment (issue 3), in one run.

For each size N: a register of N persons is loaded with `load_enrollment` (timed), a fake
extract with 2% differences is written from it, and `reconcile_enrollment` runs in its own
process (wall time, the engine's own phase timings, peak RSS). Beside it, in the same run:
(a) the floor: bare COPY of the extract into a table plus one join with the register in
PostgreSQL, nothing else; (b) DuckDB diffing the two CSV files; (c) a row-by-row Django ORM
loop over a 20,000-row sample, extrapolated to N.
"""

import csv
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_rss_mb(env, *args) -> tuple[float, float, str, str]:
    """Run manage.py in a child process: (seconds, peak RSS in MB, stdout, stderr).

    The peak is the child's own high-water mark (VmHWM), sampled until it exits: ru_maxrss would
    also count the memory of this process, which the child inherited when it was forked.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "manage.py", *args, "--skip-checks"], cwd=ROOT, env=env,
                                stdout=out, stderr=err)
        peak_kb = 0
        status_file = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                for line in status_file.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{stderr[-3000:]}")
    return seconds, peak_kb / 1024, stdout, stderr


def write_register(path: Path, n: int) -> None:
    from enrollment import demo

    employers = [e["uscc"] for e in demo.employers(200)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id_number", "name", "gender", "birth_date", "insurance_type", "employer_code", "status",
                    "status_date", "paid_through"])
        for p in demo.people(n, employers, seed=n):
            w.writerow([p["id_number"], p["name"], p["gender"], p["birth_date"].isoformat(), p["insurance_type"],
                        p["employer_code"], p["status"], p["status_date"].isoformat(),
                        p["paid_through"].strftime("%Y-%m")])
        f.write(f"#TRAILER,{n}\n")


def sql_command(dsn: str, statement: str):
    """One statement outside a transaction (VACUUM, CREATE DATABASE): psycopg, no psql binary needed."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchone() if cur.description else None


def floor(dsn: str, extract: Path) -> float:
    """Bare COPY of the extract into a 9-column table plus one join with the register."""
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute("CREATE TEMP TABLE floor_x (id_number text, name text, gender text, birth_date text, "
                    "insurance_type text, employer_code text, status text, status_date text, paid_through text)")
        body = extract.read_bytes()
        header_end = body.index(b"\n") + 1
        trailer_start = body.rindex(b"#TRAILER")
        with cur.copy("COPY floor_x FROM STDIN WITH (FORMAT csv)") as copy:
            view = memoryview(body)[header_end:trailer_start]
            for i in range(0, len(view), 1 << 20):
                copy.write(view[i:i + (1 << 20)])
        cur.execute("SELECT count(*) FROM floor_x x FULL JOIN enrollment_person p ON p.id_number = x.id_number "
                    "WHERE p.id IS NULL OR x.id_number IS NULL OR p.name <> x.name OR p.status <> x.status")
        cur.fetchone()
        return time.perf_counter() - started


def duckdb_diff(register: Path, extract: Path) -> float:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    cols = ("{'id_number':'VARCHAR','name':'VARCHAR','gender':'VARCHAR','birth_date':'VARCHAR',"
            "'insurance_type':'VARCHAR','employer_code':'VARCHAR','status':'VARCHAR','status_date':'VARCHAR',"
            "'paid_through':'VARCHAR'}")
    for name, path in (("ours", register), ("theirs", extract)):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header=true, columns={cols}, "
                    "null_padding=true, ignore_errors=true) WHERE id_number NOT LIKE '#TRAILER%'")
    con.execute("""
        SELECT count(*) FROM ours o FULL JOIN theirs t ON o.id_number = t.id_number
        WHERE o.id_number IS NULL OR t.id_number IS NULL
           OR (o.name, o.gender, o.birth_date, o.insurance_type, coalesce(o.employer_code, ''), o.status,
               o.status_date, o.paid_through)
              IS DISTINCT FROM (t.name, t.gender, t.birth_date, t.insurance_type, coalesce(t.employer_code, ''),
                                t.status, t.status_date, t.paid_through)
    """).fetchone()
    return time.perf_counter() - started


def orm_loop(env, extract: Path, sample: int = 20_000) -> float:
    """The row-by-row alternative over the ORM, timed on a sample (in a child process)."""
    code = f"""
import csv, time, django
django.setup()
from datetime import date
from django.db import transaction
from enrollment.models import Person, Discrepancy
rows = []
with open({str(extract)!r}, encoding='utf-8') as f:
    r = csv.reader(f); next(r)
    for i, row in enumerate(r):
        if i >= {sample} or row[0].startswith('#'): break
        rows.append(row)
t = time.perf_counter()
with transaction.atomic():
    for row in rows:
        p = Person.objects.filter(id_number=row[0].upper()).first()
        if p is None:
            Discrepancy.objects.get_or_create(kind='MISSING_LOCAL', id_number=row[0], field='', closed_on=None,
                defaults=dict(first_seen=date.today(), last_seen=date.today()))
            continue
        ours = [p.name, p.gender, p.birth_date.isoformat(), p.insurance_type, p.employer_code, p.status,
                p.status_date.isoformat(), p.paid_through.strftime('%Y-%m') if p.paid_through else '']
        for field, a, b in zip(Discrepancy.FIELDS, ours, row[1:]):
            if a != b:
                Discrepancy.objects.get_or_create(kind='FIELD_MISMATCH', id_number=p.id_number, field=field,
                    closed_on=None, defaults=dict(first_seen=date.today(), last_seen=date.today(), our_value=a,
                    agency_value=b))
    transaction.set_rollback(True)
print(time.perf_counter() - t, len(rows))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds, rows = out.stdout.split()
    return float(seconds) / int(rows)


def run(env: dict, dsn: str, sizes: list[int], workdir: Path) -> list[dict]:
    results = []
    for n in sizes:
        sql_command(dsn, "TRUNCATE enrollment_person, enrollment_statuschange, enrollment_discrepancy, "
                    "enrollment_reconciliationrun CASCADE")
        register = workdir / f"register-{n}.csv"
        extract = workdir / f"enrollment-{n}.csv"
        if not register.exists():
            write_register(register, n)
        load_s, load_mb, load_out, _ = _peak_rss_mb(env, "load_enrollment", "--file", str(register))
        subprocess.run([sys.executable, "manage.py", "make_fake_extract", "--skip-checks", "--file", str(extract),
                        "--differences", "0.02"], cwd=ROOT, env=env, check=True, capture_output=True)
        sql_command(dsn, "VACUUM ANALYZE enrollment_person")
        rec_s, rec_mb, rec_out, rec_err = _peak_rss_mb(env, "reconcile_enrollment", "--file", str(extract),
                                                       "--date", date(2026, 11, 23).isoformat())
        timings = _engine_timings(dsn)
        floor_s = min(floor(dsn, extract) for _ in range(2))
        duck_s = min(duckdb_diff(register, extract) for _ in range(2))
        orm_per_row = orm_loop(env, extract)
        results.append({
            "n": n, "load_s": load_s, "load_mb": load_mb, "load_out": load_out.split(),
            "reconcile_wall_s": rec_s, "reconcile_engine_s": timings.get("total"), "phases": timings,
            "reconcile_mb": rec_mb, "counts": rec_out.split(), "floor_s": floor_s, "duckdb_s": duck_s,
            "orm_extrapolated_s": orm_per_row * n,
        })
    return results


def _engine_timings(dsn: str) -> dict:
    import json

    row = sql_command(dsn, "SELECT timings FROM enrollment_reconciliationrun ORDER BY finished_at DESC LIMIT 1")
    return row[0] if row and isinstance(row[0], dict) else json.loads(row[0] if row else "{}")
