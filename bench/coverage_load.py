"""Coverage lookups per second sustained by concurrent clients through gunicorn on 127.0.0.1 (issue 15:
at least 300 with 8 clients), against the database bench/eligibility.py filled.

    python bench/coverage_load.py [--clients 8] [--seconds 20] [--workers 4] [--persons 1000000]

Starts gunicorn (sync workers) on a free port, lets the clients (threads, one keep-alive-less HTTP
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


def run(clients: int = 8, seconds: float = 20, workers: int = 4, persons: int = 1_000_000) -> dict:
    from bench.eligibility import _id_number

    token, port = _token(), _free_port()
    env = {**os.environ, "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        _wait_until_up(port, time.time() + 30)
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop = time.perf_counter() + 2 + seconds  # 2 s of warm-up, not counted
        counted_from = time.perf_counter() + 2

        def client(seed: int):
            rng, mine, bad = random.Random(seed), [], 0
            while (now := time.perf_counter()) < stop:
                query = urlencode({"id_number": _id_number(rng.randrange(persons)), "date": "2026-06-15",
                                   "visit_type": rng.choice(("INPATIENT", "OUTPATIENT"))})
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", f"/api/v1/eligibility/coverage/?{query}",
                             headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                conn.close()
                if now >= counted_from:
                    mine.append(time.perf_counter() - now)
                    bad += response.status != 200
            with lock:
                latencies.extend(mine)
                errors[0] += bad

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies.sort()
    return {"clients": clients, "workers": workers, "seconds": seconds, "requests": len(latencies),
            "per_second": len(latencies) / seconds, "errors": errors[0],
            "p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def print_figures(f: dict) -> None:
    print(f"Coverage through gunicorn ({f['workers']} sync workers) on 127.0.0.1, {f['clients']} concurrent clients, "
          f"{f['seconds']:.0f} s: {f['per_second']:.0f} lookups/s (target 300), client-side p50 {f['p50_ms']:.1f} ms, "
          f"p99 {f['p99_ms']:.1f} ms, {f['errors']} errors")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--persons", type=int, default=1_000_000)
    args = parser.parse_args()
    print_figures(run(args.clients, args.seconds, args.workers, args.persons))
    return 0


if __name__ == "__main__":
    sys.exit(main())
