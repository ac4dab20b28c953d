"""Helpers shared by the application services: the clock, who may edit, due dates, snapshots.

Locking, the version check and the transitions table are core.workflow's begin() and finish()."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from core.roles import has_role
from core.workdays import add_working_days, unconfirmed_years

from ... import materials
from ...models import Application, Material
from ...models.applications import CLERKS

Status = Application.Status

EDITABLE_STATES = Application.EDITABLE_STATES


def today() -> date:
    """The office's date (a function, so tests can move the clock)."""
    return timezone.localdate()


def require_clerk(actor) -> None:
    if not has_role(actor, *CLERKS):
        raise PermissionDenied(_("Only a window clerk may take in applications and check their materials."))


def require_editable(locked: Application) -> None:
    if locked.status not in EDITABLE_STATES:
        raise InvalidTransition(
            _("The materials of case %(number)s can no longer be changed: it is “%(status)s”.")
            % {"number": locked.number, "status": locked.get_status_display()})


def materials_not_in_order(items) -> list[str]:
    """The labels of the checklist items that are not provided in good order (missing, not valid or
    not checked), in the checklist's order: what stops a resubmission and the review."""
    return [str(materials.material_label(m.code)) for m in items if m.state != Material.State.PROVIDED]


def require_materials_in_order(locked: Application, message: str) -> None:
    """Refuse the move unless every checklist item is provided; `message` names the items with %(items)s."""
    open_items = materials_not_in_order(locked.materials.all())
    if open_items:
        raise ValidationFailed(message % {"items": "、".join(open_items)}, code="materials_incomplete")


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
