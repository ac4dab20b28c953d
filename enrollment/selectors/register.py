"""Reads of the register: persons, their status on a date."""

from datetime import date

from django.db.models import OuterRef, Subquery

__all__ = ["home_summary", "persons_with_status_on", "status_on"]

from ..models import Person, StatusChange


def status_on(person: Person, on: date) -> str | None:
    """The status in force on a date: the latest change that took effect on or before it.

    None when the person's first known status took effect after the date (not insured then).
    """
    return (
        StatusChange.objects.filter(person=person, status_date__lte=on)
        .order_by("-status_date", "-id").values_list("status", flat=True).first()
    )


def persons_with_status_on(on: date):
    """Persons annotated with `status_on` for a date, in one query (set-based, for other apps' rules)."""
    latest = (
        StatusChange.objects.filter(person=OuterRef("pk"), status_date__lte=on)
        .order_by("-status_date", "-id").values("status")[:1]
    )
    return Person.objects.annotate(status_on=Subquery(latest))


def home_summary(user) -> dict:
    from django.utils import timezone

    from ..models import Application
    from .reconciliation import open_discrepancies

    today = timezone.localdate()
    open_cases = Application.objects.filter(status__in=Application.OPEN_STATES)
    from core.workdays import add_working_days

    soon = add_working_days(today, 2)
    return {
        "mine": open_cases.filter(created_by=user).count(),
        "due_soon": open_cases.filter(due_date__gte=today, due_date__lte=soon).count(),
        "overdue": open_cases.filter(due_date__lt=today).count(),
        "discrepancies": open_discrepancies().count(),
    }
