"""Fetch-and-authorize for the problem ledger: `access_problem(user, id, action)`.

The ledger is the supervisors' (and administrators'): anyone else is refused (403) before anything
is looked up; an unknown id is NotFound (404). The moves themselves are checked again against
Problem.TRANSITIONS by core.workflow.
"""

from core.errors import NotFound
from core.roles import require_role

from .models import Problem
from .roles import SUPERVISORS

PROBLEM_ACTIONS = {"view", "work"}


def access_ledger(user) -> None:
    require_role(user, *SUPERVISORS)


def access_problem(user, problem_id, action: str = "view") -> Problem:
    """The problem, if the user may `view` it or `work` it (assign, rectify, close, reopen)."""
    if action not in PROBLEM_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    access_ledger(user)
    problem = (Problem.objects.select_related("assignee", "raised_by").filter(pk=problem_id).first()
               if str(problem_id).isdigit() else None)
    if problem is None:
        raise NotFound()
    return problem
