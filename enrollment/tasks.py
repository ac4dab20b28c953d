"""enrollment's Celery tasks: thin wrappers that take ids and call a service.

The beat schedule is in config/settings.py. Jobs act as the system user (core.system); a run
requested from the page acts as the user who asked. Reconciliation tasks acknowledge late (a worker
that dies mid-run leaves the message to be redelivered, and a rerun is safe: the run is one
transaction, idempotent for its date) and retry with backoff on database errors.
"""

from datetime import date
from pathlib import Path

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.errors import Conflict, ValidationFailed

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
    """Nightly: reconcile every extract in AGENCY_DROP_DIR not yet reconciled, oldest first, then escalate."""
    from core.system import system_user

    from .services.reconciliation import reconcile_night

    return {r.run.run_date.isoformat(): r.status for r in reconcile_night(actor=system_user())}


@shared_task(name="enrollment.tasks.reconcile_extract", bind=True, **RETRY)
def reconcile_extract(self, path: str, run_date: str, user_id: int | None = None) -> dict:
    """Reconcile one file for a date (a run requested from the runs page), then escalate."""
    from django.contrib.auth import get_user_model

    from core.system import system_user

    from .reconciliation.nightly import Delivered
    from .services.reconciliation import reconcile_night

    actor = (get_user_model().objects.filter(pk=user_id).first() if user_id else None) or system_user()
    try:
        [done] = reconcile_night(actor=actor, extracts=[Delivered(date.fromisoformat(run_date), Path(path))])
    except Conflict as exc:  # another run holds the lock: try again shortly (in-process: say so now)
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=60)
    except ValidationFailed as exc:  # a date in the future or before the latest reconciled: refused, not retried
        return {"status": "REFUSED", "error": str(exc.message)}
    if done.rejection is not None:
        return {"status": done.status, "error": done.rejection.message}
    return {"status": done.status, "counts": done.counts}


@shared_task(name="enrollment.tasks.report_overdue_applications", acks_late=True)
def report_overdue_applications() -> int:
    """Raise each open application past its due date in the problem ledger, once (nightly)."""
    from core.system import system_user

    from .services.applications import report_overdue_applications as report

    return report(actor=system_user())
