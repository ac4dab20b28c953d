"""An embedded PostgreSQL for development and tests when DATABASE_URL is not set.

pgserver ships PostgreSQL 16 binaries in a wheel. The server lives under .data/pg, listens only on
a Unix socket in that folder (no clash with a server on 5432) and stops when the last process
that asked for it exits, so `make run` keeps it alive for as long as it runs.
"""

from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "verification"


def database_settings(data_dir: Path) -> dict:
    import pgserver  # a development dependency only: production always sets DATABASE_URL

    data_dir.mkdir(parents=True, exist_ok=True)
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
