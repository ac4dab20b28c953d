"""`make run`: migrate, load the demo data and serve the site on http://127.0.0.1:8000.

Without DATABASE_URL an embedded PostgreSQL runs under .data/pg for as long as this does.
With REDIS_URL a Celery worker and beat run beside the site; without, tasks run in-process.
Ctrl-C stops everything this started.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    keep_alive = None
    if not os.environ.get("DATABASE_URL"):
        from config.embedded_pg import database_settings

        print("No DATABASE_URL: starting the embedded PostgreSQL under .data/pg …", flush=True)
        keep_alive = database_settings(ROOT / ".data")  # held by this process until it exits
    manage("migrate", "--no-input")
    manage("seed_demo")
    children = []
    if os.environ.get("REDIS_URL"):
        children.append(subprocess.Popen([PY, "-m", "celery", "-A", "config", "worker", "-l", "info", "-c", "2"]))
        children.append(subprocess.Popen([PY, "-m", "celery", "-A", "config", "beat", "-l", "info"]))
        print("Celery worker and beat started (REDIS_URL is set).", flush=True)
    else:
        print("No REDIS_URL: background tasks run in-process.", flush=True)
    print("\nServing http://127.0.0.1:8000  —  log in with a demo login above (Ctrl-C stops everything).\n",
          flush=True)
    server = subprocess.Popen([PY, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"])
    children.append(server)
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        del keep_alive


if __name__ == "__main__":
    sys.exit(main())
