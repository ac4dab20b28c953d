"""Coverage lookups per second sustained by concurrent clients through gunicorn on 127.0.0.1 (issue 15:
at least 300 with 8 clients), against the database bench/eligibility.py filled.

    python bench/coverage_load.py [--clients 8] [--seconds 20] [--workers N] [--persons 1000000]
                                  [--client wrk|python] [--keep-alive]

Starts gunicorn with the project's gunicorn.conf.py (as docker-compose's `web` does, unless --workers or
WEB_CONCURRENCY says otherwise) on a free port, lets the clients ask for random persons for the given
time, and prints the rate, the client-side latency percentiles and the CPU each lookup cost.

The clients are Debian's `wrk` (one connection per client, bench/coverage_wrk.lua picks the persons) when
it is installed, else Python threads. wrk costs the machine little; Python threads parse HTTP in the
interpreter and take most of a core from the server they measure on a 2-core machine. Each lookup opens
a new connection (`Connection: close`, as a hospital system asking now and then would) unless
--keep-alive (wrk only) lets a client keep its connection when the server keeps it.
"""

import argparse
import http.client
import json
import os
import random
import resource
import shutil
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


def _measured(server_pid: int, body) -> dict:
    """Runs body() (the counted load) and returns the CPU seconds of gunicorn's workers, of their PostgreSQL
    backends and of the load generator's child processes over it, with the load average around it."""
    workers_pids, backends = _worker_pids(server_pid), _backend_pids()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = (_cpu_seconds(workers_pids), _cpu_seconds(backends))
    load_before = os.getloadavg()[0]
    out = body()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu_web"] = _cpu_seconds(workers_pids) - cpu_before[0]
    out["cpu_db"] = _cpu_seconds(backends) - cpu_before[1]
    out["cpu_client"] = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    out["load"] = (load_before + os.getloadavg()[0]) / 2
    return out


def _wrk_load(port: int, token: str, clients: int, seconds: float, persons: int, keep_alive: bool) -> dict:
    """wrk with `clients` connections on two threads; its latencies are microseconds."""
    command = ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "60s",
               "-s", str(ROOT / "bench" / "coverage_wrk.lua"), f"http://127.0.0.1:{port}",
               "--", token, str(persons), "0" if keep_alive else "1"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    f = json.loads(out.strip().splitlines()[-1])
    return {"requests": f["requests"], "seconds": f["duration_us"] / 1e6,
            "errors": f["non2xx"] + f["connect"] + f["read"] + f["write"] + f["timeout"],
            "p50_ms": f["p50_us"] / 1000, "p99_ms": f["p99_us"] / 1000}


def run(clients: int = 8, seconds: float = 20, workers: int | None = None, persons: int = 1_000_000,
        client: str | None = None, keep_alive: bool = False) -> dict:
    from bench.eligibility import _id_number

    client = client or ("wrk" if shutil.which("wrk") else "python")
    if keep_alive and client != "wrk":
        raise SystemExit("--keep-alive needs the wrk client")

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
        if client == "wrk":
            f = _measured(server.pid, lambda: _wrk_load(port, token, clients, seconds, persons, keep_alive))
            return _figures(f, clients=clients, workers=workers, client=client, keep_alive=keep_alive)
        counted_from = time.perf_counter() + 1
        stop = counted_from + seconds

        def client_thread(seed: int):
            rng, mine, bad = random.Random(seed), [], 0
            while (now := time.perf_counter()) < stop:
                status = ask(rng)
                if now >= counted_from:
                    mine.append(time.perf_counter() - now)
                    bad += status != 200
            with lock:
                latencies.extend(mine)
                errors[0] += bad

        threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        time.sleep(max(0.0, counted_from - time.perf_counter()))

        def counted() -> dict:
            for t in threads:
                t.join()
            latencies.sort()
            return {"requests": len(latencies), "seconds": seconds, "errors": errors[0],
                    "p50_ms": statistics.median(latencies) * 1000,
                    "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}

        f = _measured(server.pid, counted)
        f["cpu_client"] = None  # the threads run in this process, beside its other work
        return _figures(f, clients=clients, workers=workers, client=client, keep_alive=False)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _figures(f: dict, **given) -> dict:
    n = max(1, f["requests"])
    return {**given, "seconds": f["seconds"], "requests": f["requests"], "per_second": f["requests"] / f["seconds"],
            "errors": f["errors"], "p50_ms": f["p50_ms"], "p99_ms": f["p99_ms"],
            "cpu_ms_web": f["cpu_web"] * 1000 / n, "cpu_ms_db": f["cpu_db"] * 1000 / n,
            "cpu_ms_client": None if f["cpu_client"] is None else f["cpu_client"] * 1000 / n, "load": f["load"]}


def print_figures(f: dict) -> None:
    client = f"{f['client']}, {'keep-alive' if f['keep_alive'] else 'a new connection per lookup'}"
    cpu_client = "" if f["cpu_ms_client"] is None else f" + {f['cpu_ms_client']:.2f} ms in the clients"
    print(f"Coverage through gunicorn ({f['workers']} workers) on 127.0.0.1, {f['clients']} concurrent clients "
          f"({client}), {f['seconds']:.0f} s: {f['per_second']:.0f} lookups/s (target 300), client-side p50 "
          f"{f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, {f['errors']} errors; CPU per lookup "
          f"{f['cpu_ms_web']:.2f} ms in gunicorn + {f['cpu_ms_db']:.2f} ms in PostgreSQL{cpu_client}; "
          f"load average {f['load']:.1f} on {os.cpu_count()} cores")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py's (one per core)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--client", choices=["wrk", "python"], default=None, help="default: wrk when installed")
    parser.add_argument("--keep-alive", action="store_true", help="wrk only: keep connections the server keeps")
    args = parser.parse_args()
    print_figures(run(args.clients, args.seconds, args.workers, args.persons, args.client, args.keep_alive))
    return 0


if __name__ == "__main__":
    sys.exit(main())
