"""An embedded PostgreSQL for development and tests when DATABASE_URL is not set.

pgserver ships PostgreSQL 16 binaries in a wheel. The server lives under .data/pg, listens only on
a Unix socket in that folder (no clash with a server on 5432) and stops when the last process
that asked for it exits, so `make run` keeps it alive for as long as it runs.
"""

import json
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "verification"


def database_settings(data_dir: Path) -> dict:
    # pgserver's lock lives in the user's runtime folder; without XDG_RUNTIME_DIR (a container, a
    # plain shell) platformdirs falls back to /tmp/runtime-<uid> and warns in every process.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pgserver  # a development dependency only: production always sets DATABASE_URL

    data_dir.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(data_dir)
    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'verification';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    uri = urlparse(server.get_uri())
    socket_dir = parse_qs(uri.query)["host"][0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": "",
    }


def forget_dead_handles(data_dir: Path) -> None:
    """pgserver lists the processes using the server in .handle_pids.json and stops it when the last
    one exits, from an atexit hook, which a killed process never runs: one killed process would keep
    the server running for good. Forget the processes that are gone."""
    import psutil
    from pgserver.postgres_server import PostgresServer

    path = data_dir / "pg" / ".handle_pids.json"
    with PostgresServer._lock:
        try:
            pids = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            path.write_text(json.dumps(alive))
