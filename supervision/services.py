"""Supervision's one inbound function: every app reports problems to the ledger through it."""

from datetime import date

from django.db import transaction
from django.db.models import F

from core.audit import record

from .models import Problem


def report_problem(*, source_key: str, source_app: str, category: str, title: str, actor=None,
                   description: str = "", severity: str = Problem.Severity.MEDIUM, responsible_unit: str = "",
                   link: str = "", deadline: date | None = None) -> tuple[Problem, bool]:
    """Raise a problem in the ledger, once per source.

    Returns (problem, created). Reporting the same source again raises nothing new: it counts
    the report on the existing entry (and reopens it if it had been closed), audited either way.
    """
    with transaction.atomic():
        problem, created = Problem.objects.select_for_update().get_or_create(
            source_key=source_key,
            defaults=dict(source_app=source_app, category=category, title=title[:200], description=description,
                          severity=severity, responsible_unit=responsible_unit, link=link, deadline=deadline,
                          raised_by=actor),
        )
        if created:
            record(actor, "supervision.problem.raised", problem, None,
                   {"source": source_key, "category": category, "severity": severity, "title": problem.title})
            return problem, True
        before = {"times_reported": problem.times_reported, "status": problem.status}
        Problem.objects.filter(pk=problem.pk).update(times_reported=F("times_reported") + 1)
        problem.refresh_from_db(fields=["times_reported"])
        if problem.status == Problem.Status.CLOSED:
            problem.status = Problem.Status.REOPENED
            problem.save(update_fields=["status"])
        record(actor, "supervision.problem.reported_again", problem, before,
               {"times_reported": problem.times_reported, "status": problem.status})
        return problem, False
