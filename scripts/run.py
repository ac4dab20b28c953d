"""`make run`: migrate, load the demo data and serve the site on http://127.0.0.1:8000.

Without DATABASE_URL an embedded PostgreSQL runs under .data/pg for as long as this does.
A Celery worker and beat always run beside the site, as in production: on REDIS_URL when it is
set, otherwise on an embedded Redis started here (config/embedded_redis.py) and handed to the
site, the worker and beat through REDIS_URL. Only where no Redis can start do tasks run
in-process, and the start-up message says so. Ctrl-C stops everything this started.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DATA_DIR = Path(os.environ.get("DATA_DIR") or ROOT / ".data")  # as config/settings.py reads it


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def _answers(host: str, port: int, *, while_running: subprocess.Popen, seconds: float = 120) -> bool:
    """Wait until the site's port takes connections (the address is printed only then)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and while_running.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C, and a plain `kill` too, stop everything this started (SIGINT is ignored in a process
    # started in the background by a shell without job control: listen to it explicitly).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    keep_alive = None
    if not os.environ.get("DATABASE_URL"):
        from config.embedded_pg import database_settings, forget_dead_handles

        print(f"No DATABASE_URL: starting the embedded PostgreSQL under {DATA_DIR / 'pg'} …", flush=True)
        keep_alive = database_settings(DATA_DIR)  # held by this process until it exits
    manage("migrate", "--no-input")
    manage("seed_demo")
    children = []
    redis_server = None
    if not os.environ.get("REDIS_URL"):
        from config.embedded_redis import EmbeddedRedis, RedisUnavailable

        try:
            redis_server = EmbeddedRedis()
            os.environ["REDIS_URL"] = redis_server.url
            print(f"No REDIS_URL: started an embedded Redis on {redis_server.url}.", flush=True)
        except RedisUnavailable as exc:
            print(f"No REDIS_URL and no Redis could start ({exc}): background tasks run in-process, "
                  "inside the request that asks for them.", flush=True)
    if os.environ.get("REDIS_URL"):
        children.append(subprocess.Popen([PY, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", "2"]))
        children.append(subprocess.Popen([PY, "-m", "celery", "-A", "config", "beat", "-l", "warning"]))
        print(f"Celery worker and beat started on {os.environ['REDIS_URL']}: uploads and nightly jobs run "
              "in the background, as in production.", flush=True)
    port = int(os.environ.get("PORT", "8000"))
    server = subprocess.Popen([PY, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"])
    children.append(server)
    try:
        if _answers("127.0.0.1", port, while_running=server):
            print(f"\nServing http://127.0.0.1:{port}  —  log in with a demo login above (Ctrl-C stops everything).\n",
                  flush=True)
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
        if redis_server is not None:
            redis_server.stop()
        if keep_alive is not None:
            # The site's process was stopped, not exited: forget it, so that this process's
            # exit stops the embedded PostgreSQL.
            forget_dead_handles(DATA_DIR)


if __name__ == "__main__":
    sys.exit(main())
