"""A real Celery worker on Redis checks an uploaded batch (not eager): the upload answers `received` at
once, the task sent on commit reaches the worker, and the batch becomes accepted or rejected."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.providers import grant_provider_access
from settlement.models import ClaimBatch
from settlement.services import upload_batch
from tests.factories import ProviderFactory
from tests.integration.test_celery_worker import worker  # noqa: F401 (the fixture: a solo worker on Redis)
from tests.settlement.files import csv_bytes, line

pytestmark = pytest.mark.xdist_group("celery_worker")


def _wait_for(batch_id: int, timeout: float = 60) -> ClaimBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = ClaimBatch.objects.get(pk=batch_id)
        if batch.status != ClaimBatch.Status.RECEIVED:
            return batch
        time.sleep(0.2)
    pytest.fail(f"batch {batch_id} was not checked within {timeout} s")


def test_a_worker_checks_uploaded_batches(worker, provider_user):  # noqa: F811
    provider = ProviderFactory(code="H32019101")
    grant_provider_access(user=provider_user, provider=provider, actor=None)
    good = upload_batch(actor=provider_user, file=SimpleUploadedFile("ok.csv", csv_bytes([line("C1", 1), line("C1", 2)])),
                        period="2026-10")
    bad = upload_batch(actor=provider_user, file=SimpleUploadedFile("bad.csv", csv_bytes([line("C2", quantity="0")])),
                       period="2026-10")
    assert good.status == bad.status == "received"  # answered before the check
    good, bad = _wait_for(good.pk), _wait_for(bad.pk)
    assert (good.status, good.claim_count, good.line_count) == ("reviewed", 1, 2)
    assert (bad.status, bad.error_count) == ("rejected", 1)
    assert bad.errors.get().code == "quantity"
