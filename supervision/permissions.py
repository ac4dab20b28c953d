"""Fetch-and-authorize for the problem ledger: `access_problem(user, id, action)`.

The ledger is the supervisors' (and administrators'): they see every problem and work them. A member
of the office's staff sees the problems given to them to rectify, and only those: another problem is
NotFound (404), as an unknown id is. Working a problem (assign, rectify, close, reopen) is refused
(403) before anything is looked up to anyone who does not keep the ledger; the moves themselves are
checked again against Problem.TRANSITIONS by core.workflow. Providers and visitors see nothing (403).
"""

from core.errors import NotFound
from core.roles import require_role

from .models import Problem
from .roles import ASSIGNEES, SUPERVISORS
from .selectors import problems_visible_to

PROBLEM_ACTIONS = {"view", "work"}


def access_ledger(user) -> None:
    """The ledger's list and export: the supervisors' whole ledger, or a staff member's own problems."""
    require_role(user, *SUPERVISORS, *ASSIGNEES)


def access_problem(user, problem_id, action: str = "view") -> Problem:
    """The problem, if the user may `view` it (the ledger's keepers, or the staff member it was given
    to) or `work` it (the ledger's keepers: assign, rectify, close, reopen)."""
    if action not in PROBLEM_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "work":
        require_role(user, *SUPERVISORS)
    else:
        access_ledger(user)
    problem = (problems_visible_to(user).select_related("assignee", "raised_by").filter(pk=problem_id).first()
               if str(problem_id).isdigit() else None)
    if problem is None:
        raise NotFound()
    return problem
