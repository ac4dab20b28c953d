"""enrollment's Celery tasks: thin wrappers that take ids and call a service.

The beat schedule is in config/settings.py. Reconciliation tasks acknowledge late (a worker that
dies mid-run leaves the message to be redelivered, and a rerun is safe: the run is one
transaction, idempotent for its date) and retry with backoff on database errors.
"""

from datetime import date
from pathlib import Path

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from core.errors import Conflict

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(name="enrollment.tasks.reconcile_pending_extracts", **RETRY)
def reconcile_pending_extracts() -> dict:
    """Nightly: reconcile every extract in AGENCY_DROP_DIR not yet reconciled, oldest first."""
    from .reconciliation.nightly import reconcile_pending

    return reconcile_pending()


@shared_task(name="enrollment.tasks.reconcile_extract", bind=True, **RETRY)
def reconcile_extract(self, path: str, run_date: str, user_id: int | None = None) -> dict:
    """Reconcile one file for a date (started from the runs page or the command line)."""
    from django.contrib.auth import get_user_model

    from .reconciliation.engine import reconcile_file
    from .reconciliation.escalation import escalate_aged
    from .reconciliation.extract import ExtractRejected

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    day = date.fromisoformat(run_date)
    try:
        outcome = reconcile_file(Path(path), run_date=day, actor=actor)
    except ExtractRejected as exc:
        return {"status": "REJECTED", "error": exc.message}
    except Conflict as exc:  # another run holds the lock: try again shortly (in-process: say so now)
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=60)
    except DatabaseError:
        raise
    escalate_aged(run_date=day, actor=actor)
    return {"status": outcome.run.status, "counts": outcome.counts}


@shared_task(name="enrollment.tasks.report_overdue_applications", acks_late=True)
def report_overdue_applications() -> int:
    """Raise each open application past its due date in the problem ledger, once (nightly)."""
    from .services.applications import report_overdue_applications as report

    return report()
