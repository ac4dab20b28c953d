"""The problem ledger's writes.

report_problem / report_problems are supervision's one inbound path: every app reports problems to
the ledger through them. The functions after them are the supervisors' work on an entry (assign,
set the deadline, record the rectification, close, reopen): each a move of Problem.TRANSITIONS
through core.workflow, refused when the page it came from is stale (`expected_version`).
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record, record_many
from core.errors import ConcurrentEdit, ValidationFailed
from core.system import system_user
from core.workflow import transition

from .models import Problem
from .selectors import ASSIGNABLE_ROLES


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


# -- working a problem (the ledger's pages) -------------------------------------------------------

Status = Problem.Status


def _check_version(problem: Problem, expected_version: int | None) -> Problem:
    """Lock the row and refuse an edit made on a page that is out of date (for the moves whose target
    depends on the state it is in; core.workflow checks the version again)."""
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit()
    return locked


def _deadline_errors(deadline: date | None) -> list[dict]:
    if deadline is None:
        return [{"field": "deadline", "message": _("Give the date by which it must be rectified.")}]
    if deadline < timezone.localdate():
        return [{"field": "deadline", "message": _("The deadline cannot be in the past.")}]
    return []


def _note_required(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(errors=[{"field": "note", "message": message}])
    return note


def assign_problem(*, actor, problem: Problem, assignee=None, responsible_unit: str = "",
                   deadline: date | None = None, note: str = "", expected_version: int | None = None) -> Problem:
    """Give the problem to a staff member or a responsible unit (or both), to rectify by the deadline.

    From OPEN or REOPENED this starts the rectification; while it is being rectified it hands the
    problem on (a move from RECTIFYING to itself).
    """
    responsible_unit = (responsible_unit or "").strip()[:100]
    errors = _deadline_errors(deadline)
    if assignee is None and not responsible_unit:
        errors.append({"field": "assignee", "message": _("Name the staff member or the unit who will rectify it.")})
    if assignee is not None and not get_user_model().objects.filter(
            pk=assignee.pk, is_active=True, groups__name__in=ASSIGNABLE_ROLES).exists():
        errors.append({"field": "assignee", "message": _("A problem can only be assigned to the office's staff.")})
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        locked = _check_version(problem, expected_version)
        action = "supervision.problem.reassigned" if locked.status == Status.RECTIFYING else "supervision.problem.assigned"
        return transition(problem, Status.RECTIFYING, actor=actor, action=action, note=(note or "").strip(),
                          changes={"assignee": assignee, "responsible_unit": responsible_unit, "deadline": deadline})


def set_problem_deadline(*, actor, problem: Problem, deadline: date | None, note: str = "",
                         expected_version: int | None = None) -> Problem:
    """A new deadline, keeping the state (a move to the same state, where the table allows it)."""
    errors = _deadline_errors(deadline)
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        locked = _check_version(problem, expected_version)
        return transition(problem, locked.status, actor=actor, action="supervision.problem.deadline_set",
                          changes={"deadline": deadline}, note=(note or "").strip())


def record_rectification(*, actor, problem: Problem, rectification: str,
                         expected_version: int | None = None) -> Problem:
    """What was done to put it right; the problem then waits for a supervisor to verify it."""
    rectification = (rectification or "").strip()
    if not rectification:
        raise ValidationFailed(errors=[{"field": "rectification", "message": _("Say what was done to rectify it.")}])
    return transition(problem, Status.AWAITING_VERIFICATION, actor=actor, action="supervision.problem.rectified",
                      changes={"rectification": rectification, "rectified_at": timezone.now()},
                      expected_version=expected_version)


def close_problem(*, actor, problem: Problem, note: str, expected_version: int | None = None) -> Problem:
    """Close the problem: rectified and verified, or nothing to rectify. The note says which."""
    note = _note_required(note, _("Say why the problem can be closed."))
    return transition(problem, Status.CLOSED, actor=actor, action="supervision.problem.closed", note=note,
                      changes={"closed_at": timezone.now()}, expected_version=expected_version)


def reopen_problem(*, actor, problem: Problem, note: str, expected_version: int | None = None) -> Problem:
    """Send the problem back: the rectification did not hold, or it was closed too soon."""
    note = _note_required(note, _("Say why the problem is reopened."))
    return transition(problem, Status.REOPENED, actor=actor, action="supervision.problem.reopened", note=note,
                      changes={"closed_at": None}, expected_version=expected_version)
