"""The reviewer's side of a case: start the review, approve or reject (never a case one entered
oneself: 不相容岗位分离).

Approval and registration are one step: approving applies the change to the register in the same
transaction (all of it or nothing), so an approval letter never promises what the register does not
hold, and no approved case waits for someone to remember to register it. register_application()
remains for cases approved before that (the APPROVED state), which it applies.
"""

import copy

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import PermissionDenied, ValidationFailed
from core.roles import has_role
from core.workflow import begin, finish

from ... import materials
from ...kinds import spec_for
from ...models import Application
from ...models.applications import DECIDERS
from .applying import apply_to_register, check_applicable
from .common import require_materials_in_order

Status = Application.Status


def segregation_message() -> str:
    return _("You entered this application yourself, so you may not decide it: another reviewer must approve or "
             "reject it (segregation of duties).")


def may_decide(user, application: Application) -> bool:
    """For showing the decision buttons; the services check again."""
    return has_role(user, *DECIDERS) and application.created_by_id != getattr(user, "pk", None)


def _check_segregation(actor, locked: Application) -> None:
    if locked.created_by_id == actor.pk:
        raise PermissionDenied(segregation_message(), code="segregation_of_duties")


def _check_ready_for_review(locked: Application) -> None:
    require_materials_in_order(locked, _(
        "These materials are not all in order yet: %(items)s. Tick them, or issue the one-time notice."))
    spec_for(locked.kind).before_review(locked)


def _as_decided(locked: Application, changes: dict) -> Application:
    """A copy of the locked application with the decision applied, for its letter: finish() saves
    the decision and audits it against the row as it was."""
    decided = copy.copy(locked)
    for field, value in changes.items():
        setattr(decided, field, value)
    return decided


def start_review(*, actor, application: Application, expected_version: int | None = None) -> Application:
    """Submitted/resubmitted → under review, once every material is provided."""
    with transaction.atomic():
        move = begin(application, Status.UNDER_REVIEW, actor=actor, expected_version=expected_version)
        _check_ready_for_review(move.obj)
        changes = {"reviewer": actor} if has_role(actor, *DECIDERS) else {}
        return finish(move, action="enrollment.application.review_started", changes=changes)


def approve_application(*, actor, application: Application, note: str = "", expected_version: int | None = None):
    """Under review → approved and applied to the register, in one transaction, with the approval
    letter. Returns the letter. Nothing changes when the register no longer allows the change."""
    from ...letters import ApprovalLetter

    with transaction.atomic():
        move = begin(application, Status.APPROVED, actor=actor, expected_version=expected_version)
        _check_segregation(actor, move.obj)
        check_applicable(move.obj)
        changes = {"decided_by": actor, "decided_at": timezone.now(), "decision_note": (note or "").strip(),
                   "decision_reasons": []}
        letter = ApprovalLetter(_as_decided(move.obj, changes))
        letter.prepare()  # rendered before the audit chain's lock, which finish() takes
        finish(move, action="enrollment.application.approved", changes=changes)
        registered = _register(actor, application)
        return letter.keep(actor=actor, obj=registered)


def reject_application(*, actor, application: Application, reasons: list[str], note: str = "",
                       expected_version: int | None = None):
    """Under review → rejected, with reasons from the list and the rejection letter. Returns the letter."""
    from ...letters import RejectionLetter

    reasons = list(dict.fromkeys(r for r in reasons if r))
    note = (note or "").strip()
    errors = []
    if not reasons:
        errors.append({"column": "reasons", "message": _("Choose at least one reason.")})
    unknown = [r for r in reasons if r not in materials.REJECTION_REASONS]
    if unknown:
        errors.append({"column": "reasons", "message": _("Unknown reason: %(r)s") % {"r": ", ".join(unknown)}})
    if "other" in reasons and not note:
        errors.append({"column": "note", "message": _("Explain the reason “other” in the text.")})
    with transaction.atomic():
        move = begin(application, Status.REJECTED, actor=actor, expected_version=expected_version)
        _check_segregation(actor, move.obj)
        if errors:
            raise ValidationFailed(errors=errors)
        changes = {"decided_by": actor, "decided_at": timezone.now(), "decision_reasons": reasons,
                   "decision_note": note}
        letter = RejectionLetter(_as_decided(move.obj, changes))
        letter.prepare()  # rendered before the audit chain's lock, which finish() takes
        locked = finish(move, action="enrollment.application.rejected", changes=changes)
        return letter.keep(actor=actor, obj=locked)


def register_application(*, actor, application: Application, expected_version: int | None = None) -> Application:
    """Approved → registered, for a case approved before approval applied the change itself: apply it
    to the register, all of it or nothing."""
    with transaction.atomic():
        return _register(actor, application, expected_version)


def _register(actor, application: Application, expected_version: int | None = None) -> Application:
    move = begin(application, Status.REGISTERED, actor=actor, expected_version=expected_version)
    changes = apply_to_register(actor=actor, application=move.obj)
    return finish(move, action="enrollment.application.registered",
                  changes={"registered_at": timezone.now(), **changes})
