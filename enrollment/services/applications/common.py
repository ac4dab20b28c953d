"""Helpers shared by the application services: the clock, the row lock, due dates, snapshots."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied
from core.roles import has_role
from core.workdays import add_working_days, unconfirmed_years

from ... import materials
from ...models import Application
from ...models.applications import CLERKS

Status = Application.Status

# States in which the clerk may still change the checklist and the roster.
EDITABLE_STATES = (Status.DRAFT, Status.SUBMITTED, Status.INCOMPLETE, Status.RESUBMITTED)


def today() -> date:
    """The office's date (a function, so tests can move the clock)."""
    return timezone.localdate()


def lock(application: Application, expected_version: int | None = None) -> Application:
    """Lock the application's row; refuse when someone changed it since the user loaded it."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit()
    return locked


def require_clerk(actor) -> None:
    if not has_role(actor, *CLERKS):
        raise PermissionDenied(_("Only a window clerk may take in applications and check their materials."))


def require_editable(locked: Application) -> None:
    if locked.status not in EDITABLE_STATES:
        raise InvalidTransition(
            _("The materials of case %(number)s can no longer be changed: it is “%(status)s”.")
            % {"number": locked.number, "status": locked.get_status_display()})


def due_date_for(kind: str, start: date) -> tuple[date, bool]:
    """The due date of a case started on `start`, and whether it was counted over an unconfirmed year."""
    due = add_working_days(start, materials.time_limit(kind))
    return due, bool(unconfirmed_years(start, due))


def snapshot(app: Application) -> dict:
    """What the audit trail keeps about an application at creation."""
    return {
        "number": app.number, "kind": app.kind, "status": app.status, "applicant_name": app.applicant_name,
        "employer": app.employer_id, "person": app.person_id, "effective_date": app.effective_date,
        "payload": app.payload,
    }


def bump(locked: Application, fields: list[str]) -> None:
    """Save the given fields and the version (an edit that is not a state change)."""
    locked.version += 1
    locked.save(update_fields=[*fields, "version"])


def sync(target: Application, source: Application) -> Application:
    """Copy the saved state back onto the caller's instance, and return the fresh one."""
    if target is not source:
        for field in source._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
    return source


def require_move(actor, locked: Application, to: str) -> None:
    """Check the transitions table before doing the work that goes with a move.

    core.workflow.transition checks the same again when the move is made.
    """
    moves = Application.TRANSITIONS.get(locked.status, {})
    if to not in moves:
        raise InvalidTransition(
            _("Case %(number)s cannot go from “%(from)s” to “%(to)s”.")
            % {"number": locked.number, "from": locked.get_status_display(), "to": Status(to).label})
    if not has_role(actor, *moves[to]):
        raise PermissionDenied(_("Your role may not move this case to “%(to)s”.") % {"to": Status(to).label})
