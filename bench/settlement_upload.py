"""Benchmark of a provider's claims upload and its format check (issue 16, first part), in one run.

For each size N (claim lines, 10 a claim): a valid CSV of N lines is written; a child process uploads it
through settlement.services.upload_batch (the request's part: limits, SHA-256, the file kept) and then
checks it with settlement.services.check_batch (read and COPY, the set-based checks, the claims and lines
inserted), timing each phase, while this process samples the child's peak RSS. Beside it, the floor:
a bare COPY of the same file into a 20-column table. The 50 MB limit is raised for the bench where the
file is bigger (500,000 lines of this shape are about 55 MB): the figure measured is memory and time.
"""

import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["claim_no", "visit_type", "patient_id_number", "patient_name", "admission_date", "discharge_date",
          "diagnosis_code", "line_no", "service_date", "item_code", "item_name", "quantity", "unit_price", "amount",
          "days_supply"]
ITEMS = [(f"X{i:04d}", name, price) for i, (name, price) in enumerate(
    [("挂号费", "12.00"), ("阿莫西林", "3.20"), ("血常规", "25.00"), ("注射费", "6.50"), ("布洛芬", "8.80"),
     ("胸片", "80.00"), ("葡萄糖", "4.40"), ("换药", "15.00"), ("床位费", "30.00"), ("护理费", "20.00")])]


def write_claims(path: Path, lines: int, seed: int) -> None:
    from enrollment import demo

    rng = random.Random(seed)
    patients = [(demo.id_number(rng, date(1950, 1, 1) + timedelta(days=rng.randrange(25_000)), rng.choice("12")),
                 demo.person_name(rng)) for _ in range(max(1, lines // 20))]
    start = date(2026, 10, 1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for c in range(lines // 10):
            idn, name = patients[c % len(patients)]
            day = (start + timedelta(days=c % 28)).isoformat()
            for n in range(1, 11):
                code, item, price = ITEMS[(c + n) % len(ITEMS)]
                qty = 1 + (c + n) % 3
                w.writerow([f"S{seed}-{c:06d}", "OUTPATIENT", idn, name, day, "", "J06.9", n, day, code, item, qty,
                            price, f"{qty * float(price):.2f}", ""])


CHILD = """
import json, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from core.models import Provider
from core.providers import grant_provider_access
from core.roles import Role, sync_roles
from settlement import tasks
from settlement.services import check_batch, checking, upload_batch

path, code = sys.argv[1], sys.argv[2]
sync_roles()
provider, _ = Provider.objects.get_or_create(code=code, defaults={"name": code, "level": 2, "area": "LOCAL"})
user, _ = get_user_model().objects.get_or_create(username=f"bench-{code}")
user.groups.add(Group.objects.get(name=Role.PROVIDER.value))
grant_provider_access(user=user, provider=provider, actor=None)
phases = {}

def timed(name, fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = round(time.perf_counter() - started, 3)
    return wrapper

checking._stage = timed("read_and_copy", checking._stage)
checking._check = timed("checks", checking._check)
checking._accept = timed("insert_claims_and_lines", checking._accept)
tasks.check_batch_task.delay_on_commit = lambda *args: None  # the check is timed on its own below
started = time.perf_counter()
with open(path, "rb") as f:
    batch = upload_batch(actor=user, file=File(f, name="claims.csv"), period="2026-10")
upload_s = time.perf_counter() - started
started = time.perf_counter()
batch = check_batch(batch=batch)
check_s = time.perf_counter() - started
print(json.dumps({"upload_s": upload_s, "check_s": check_s, "phases": phases, "status": batch.status,
                  "lines": batch.line_count, "claims": batch.claim_count, "errors": batch.error_count}))
"""


def _child(env: dict, *args) -> tuple[dict, float]:
    """Run the child; (its JSON, its peak RSS in MB sampled from /proc)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], cwd=ROOT, env=env, stdout=out, stderr=err)
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
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"the settlement bench child failed:\n{err.read().decode()[-3000:]}")
        return json.loads(out.read().decode().strip().splitlines()[-1]), peak_kb / 1024


def floor(dsn: str, path: Path) -> float:
    """Bare COPY of the same file into a table of 20 text columns, nothing else."""
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        cur.execute("CREATE TEMP TABLE floor_claims (" + ", ".join(f"{h} text" for h in HEADER) + ")")
        with cur.copy("COPY floor_claims FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        conn.rollback()
        return seconds


def run(env: dict, dsn: str, sizes: list[int], workdir: Path) -> list[dict]:
    results = []
    for n in sizes:
        path = workdir / f"claims-{n}.csv"
        write_claims(path, n, seed=n)
        size = path.stat().st_size
        child_env = {**env, "UPLOAD_MAX_BYTES": str(max(50 * 2**20, size + 1)), "LOG_LEVEL": "WARNING"}
        child_env.pop("REDIS_URL", None)
        figures, peak_mb = _child(child_env, str(path), f"BENCH{n}")
        results.append({"n": n, "mb": size / 2**20, "peak_mb": peak_mb, "floor_s": min(floor(dsn, path)
                                                                                       for _ in range(2)),
                        **figures})
    return results


def print_figures(results: list[dict]) -> None:
    print("Claims upload (issue 16): a valid CSV of N lines (10 a claim), uploaded and checked in one process")
    print(f"{'N lines':>9} {'file MB':>8} {'upload s':>9} {'check s':>8} {'peak MB':>8} {'floor s':>8} "
          f"{'check/floor':>12}  phases (s)")
    for r in results:
        print(f"{r['n']:>9} {r['mb']:>8.1f} {r['upload_s']:>9.2f} {r['check_s']:>8.2f} {r['peak_mb']:>8.0f} "
              f"{r['floor_s']:>8.2f} {r['check_s'] / r['floor_s']:>12.1f}  {r['phases']}")
        assert r["status"] == "accepted" and r["lines"] == r["n"], r
    print("(upload: the request's part — limits, SHA-256, the file kept; check: read + COPY, the set-based "
          "format checks, claims and lines inserted, in one transaction; floor: bare COPY of the file.)")
