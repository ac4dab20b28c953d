"""`make run` as a new user runs it: no DATABASE_URL, no REDIS_URL. scripts/run.py starts the
embedded PostgreSQL, migrates, loads the demo data, starts an embedded Redis with a worker and beat,
serves the site and prints the logins; Ctrl-C (SIGINT) stops all of it, the PostgreSQL included."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("make_run")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_until(process, pattern: str, seconds: float) -> str:
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    pytest.fail(f"scripts/run.py never printed {pattern!r}:\n{''.join(seen)[-4000:]}")


def test_make_run_serves_the_demo_with_nothing_configured_and_ctrl_c_stops_everything(tmp_path):
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DATA_DIR=str(tmp_path), PORT=str(port), PYTHONUNBUFFERED="1")
    run = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out = _read_until(run, rf"Serving http://127\.0\.0\.1:{port}", 300)
        assert "clerk" in out and "demo-2026" in out and "supervisor" in out  # the logins, printed
        assert "No REDIS_URL: started an embedded Redis" in out and "Celery worker and beat started" in out
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as answer:
            assert "医保" in answer.read().decode()  # the demo site, in Chinese
        started = psutil.Process(run.pid).children(recursive=True)
        pg_pids = json.loads((tmp_path / "pg" / ".handle_pids.json").read_text())
        assert pg_pids, "no process holds the embedded PostgreSQL"
        postgres = [p for p in psutil.process_iter(["name", "cmdline"])
                    if p.info["name"] == "postgres" and str(tmp_path) in " ".join(p.info["cmdline"] or [])]
        assert postgres, "the embedded PostgreSQL is not running under DATA_DIR"
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0
        gone, alive = psutil.wait_procs(started + postgres, timeout=30)
        left = []
        for process in alive:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:
                    left.append(" ".join(process.cmdline()))
            except psutil.NoSuchProcess:
                pass
        assert left == []
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
