"""enrollment's Celery tasks: thin wrappers that call a service (the beat schedule is in config/settings.py)."""

from celery import shared_task


@shared_task(name="enrollment.tasks.report_overdue_applications")
def report_overdue_applications() -> int:
    """Raise each open application past its due date in the problem ledger, once (nightly)."""
    from .services.applications import report_overdue_applications as report

    return report()
