"""settlement's Celery tasks: thin wrappers that take ids and call a service.

Checking acknowledges late and is requeued when its worker is lost: a worker killed mid-check leaves
the batch `received` (the check is one transaction) and the redelivered task checks it again from the
file. recheck_received_batches, on the beat schedule, requeues any batch left `received` for longer
(a message lost with the broker); a batch already checked is left as it is, so a second delivery is
harmless.
"""

from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
    "reject_on_worker_lost": True,
}
STALLED_AFTER = timedelta(minutes=10)


@shared_task(name="settlement.tasks.check_batch", **RETRY)
def check_batch_task(batch_id: int) -> str:
    """Check an uploaded batch and, once accepted, review it; returns its status afterwards."""
    from .models import ClaimBatch
    from .services import check_batch, review_batch

    batch = ClaimBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return "missing"
    if batch.status == ClaimBatch.Status.RECEIVED:
        batch = check_batch(batch=batch)
    if batch.status == ClaimBatch.Status.ACCEPTED:
        batch = review_batch(batch=batch)
    return batch.status


@shared_task(name="settlement.tasks.review_batch", **RETRY)
def review_batch_task(batch_id: int) -> str:
    """Review an accepted batch (again from the start if a worker was lost mid-review)."""
    from .models import ClaimBatch
    from .services import review_batch

    batch = ClaimBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return "missing"
    return review_batch(batch=batch).status


@shared_task(name="settlement.tasks.recheck_received_batches", acks_late=True)
def recheck_received_batches() -> int:
    """Requeue the check of every batch still `received` STALLED_AFTER after its upload."""
    from .models import ClaimBatch

    stalled = list(ClaimBatch.objects.filter(status=ClaimBatch.Status.RECEIVED,
                                             uploaded_at__lt=timezone.now() - STALLED_AFTER)
                   .order_by("id").values_list("pk", flat=True))
    for batch_id in stalled:
        check_batch_task.delay(batch_id)
    unreviewed = list(ClaimBatch.objects.filter(status=ClaimBatch.Status.ACCEPTED,
                                                checked_at__lt=timezone.now() - STALLED_AFTER)
                      .order_by("id").values_list("pk", flat=True))
    for batch_id in unreviewed:
        review_batch_task.delay(batch_id)
    return len(stalled) + len(unreviewed)
