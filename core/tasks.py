"""core's Celery tasks. The beat schedule is in config/settings.py."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.verify_audit_trail", autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=60, max_retries=5, acks_late=True)
def verify_audit_trail() -> dict:
    """Nightly: verify the audit trail against the last checkpoint and, when it holds, write a new one
    (the reconciliation report that follows prints it). A broken trail is logged as an error and
    keeps the old checkpoint, so that every later verification fails too until someone looks."""
    from .audit_checkpoint import verify_and_checkpoint

    verification, _previous, written = verify_and_checkpoint()
    for problem in verification.problems:
        logger.error("audit trail: entry %s: %s", problem.seq, problem.message)
    return {
        "ok": verification.ok, "entries": verification.checked, "problems": len(verification.problems),
        "checkpoint_seq": written.seq if written else None,
    }
