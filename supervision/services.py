"""Supervision's one inbound function: every app reports problems to the ledger through it."""

from datetime import date

from django.db import transaction
from django.db.models import F

from core.audit import record, record_many
from core.system import system_user
from core.workflow import transition

from .models import Problem


def report_problem(*, source_key: str, source_app: str, category: str, title: str, actor=None,
                   description: str = "", severity: str = Problem.Severity.MEDIUM, responsible_unit: str = "",
                   link: str = "", deadline: date | None = None) -> tuple[Problem, bool]:
    """Raise a problem in the ledger, once per source.

    Returns (problem, created). Reporting the same source again raises nothing new: it counts
    the report on the existing entry, audited either way. A closed entry reported again is
    reopened by the ledger itself: a move of the transitions table made as the system user.
    `actor` is who reports it; None stands for the system user (a job).
    """
    actor = actor or system_user()
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
        record(actor, "supervision.problem.reported_again", problem, before,
               {"times_reported": problem.times_reported, "status": problem.status})
        if problem.status == Problem.Status.CLOSED:
            transition(problem, Problem.Status.REOPENED, actor=system_user(), action="supervision.problem.reopened")
        return problem, False


def report_problems(items: list[dict], *, actor=None) -> list[int]:
    """Raise many problems at once (a nightly job), once per source: set-based, audited per entry made.

    Each item has the keyword arguments of report_problem. Sources already in the ledger are left
    as they are. Returns, in the order of the items, the id of each item's problem: the one made
    now, or the one already in the ledger for its source (so callers need not read Problem).
    """
    if not items:
        return []
    actor = actor or system_user()
    with transaction.atomic():
        keys = [item["source_key"] for item in items]
        ids = dict(Problem.objects.filter(source_key__in=keys).values_list("source_key", "id"))
        new = [Problem(raised_by=actor, **{**item, "title": item["title"][:200]})
               for item in items if item["source_key"] not in ids]
        Problem.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        created = list(Problem.objects.filter(source_key__in=[p.source_key for p in new]))
        record_many(actor, "supervision.problem.raised", [
            (p, None, {"source": p.source_key, "category": p.category, "severity": p.severity, "title": p.title})
            for p in created
        ])
        ids.update((p.source_key, p.pk) for p in created)
    return [ids[key] for key in keys]
