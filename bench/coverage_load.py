"""Coverage lookups per second sustained by concurrent clients through gunicorn on 127.0.0.1 (issue 15:
at least 300 with 8 clients), against the database bench/eligibility.py filled.

    python bench/coverage_load.py [--clients 8] [--seconds 20] [--workers N] [--persons 1000000]

Starts gunicorn with the project's gunicorn.conf.py (as docker-compose's `web` does: sync workers, two
per core unless --workers or WEB_CONCURRENCY says otherwise) on a free port, lets the clients (threads, one keep-alive-less HTTP
connection per request, as a hospital system would) ask for random persons for the given time, and
prints the rate and the client-side latency percentiles.
"""

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _token() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from core.models import Provider
    from core.provider_accounts import issue_api_token

    return issue_api_token(provider_code=Provider.objects.order_by("code").values_list("code", flat=True)[0],
                           username="bench_api")


def _wait_until_up(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def configured_workers() -> int:
    """The workers gunicorn.conf.py starts."""
    namespace: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)  # noqa: S102 (the project's own file)
    return namespace["workers"]


def _cpu_seconds(pids) -> float:
    """User and system CPU of these processes so far (Linux /proc; a process gone or unreadable counts 0)."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _worker_pids(master: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        return []


def _backend_pids() -> list[int]:
    """The PostgreSQL backends serving the workers (when the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        return [row[0] for row in cur.fetchall()]


def run(clients: int = 8, seconds: float = 20, workers: int | None = None, persons: int = 1_000_000) -> dict:
    from bench.eligibility import _id_number

    token, port = _token(), _free_port()
    env = {**os.environ, "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING"}
    workers = workers or configured_workers()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--config", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        _wait_until_up(port, time.time() + 30)
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()

        def ask(rng) -> int:
            query = urlencode({"id_number": _id_number(rng.randrange(persons)), "date": "2026-06-15",
                               "visit_type": rng.choice(("INPATIENT", "OUTPATIENT"))})
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", f"/api/v1/eligibility/coverage/?{query}",
                         headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            conn.close()
            return response.status

        # Warm-up, not counted: every worker imports the views and opens its connection on its first
        # requests (seconds each on a loaded machine); go on until the clients have had 5 answers each.
        warm = [threading.Thread(target=lambda i=i: [ask(random.Random(-i)) for _ in range(5)])
                for i in range(clients)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        counted_from = time.perf_counter() + 1
        stop = counted_from + seconds

        def client(seed: int):
            rng, mine, bad = random.Random(seed), [], 0
            while (now := time.perf_counter()) < stop:
                status = ask(rng)
                if now >= counted_from:
                    mine.append(time.perf_counter() - now)
                    bad += status != 200
            with lock:
                latencies.extend(mine)
                errors[0] += bad

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        time.sleep(max(0.0, counted_from - time.perf_counter()))
        workers_pids, backends = _worker_pids(server.pid), _backend_pids()
        cpu_before = (_cpu_seconds(workers_pids), _cpu_seconds(backends))
        load_before = os.getloadavg()[0]
        for t in threads:
            t.join()
        cpu = (_cpu_seconds(workers_pids) - cpu_before[0], _cpu_seconds(backends) - cpu_before[1])
        load = (load_before + os.getloadavg()[0]) / 2
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies.sort()
    return {"clients": clients, "workers": workers, "seconds": seconds, "requests": len(latencies),
            "per_second": len(latencies) / seconds, "errors": errors[0],
            "p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "cpu_ms_web": cpu[0] * 1000 / max(1, len(latencies)), "cpu_ms_db": cpu[1] * 1000 / max(1, len(latencies)),
            "load": load}


def print_figures(f: dict) -> None:
    print(f"Coverage through gunicorn ({f['workers']} sync workers) on 127.0.0.1, {f['clients']} concurrent clients, "
          f"{f['seconds']:.0f} s: {f['per_second']:.0f} lookups/s (target 300), client-side p50 {f['p50_ms']:.1f} ms, "
          f"p99 {f['p99_ms']:.1f} ms, {f['errors']} errors; CPU per lookup {f['cpu_ms_web']:.2f} ms in gunicorn "
          f"+ {f['cpu_ms_db']:.2f} ms in PostgreSQL; load average {f['load']:.1f} on {os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py's (2 per core)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    print_figures(run(args.clients, args.seconds, args.workers, args.persons))
    return 0


if __name__ == "__main__":
    sys.exit(main())
