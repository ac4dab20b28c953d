"""The reviewer's side of a case: start the review, approve or reject (never a case one entered
oneself: 不相容岗位分离), and register the approved change in the register."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import PermissionDenied, ValidationFailed
from core.roles import has_role
from core.workflow import transition

from ... import materials
from ...models import Application, Material
from ...models.applications import DECIDERS
from .applying import apply_to_register, check_applicable
from .common import lock, require_move, sync

Status = Application.Status
Kind = Application.Kind


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
    items = list(locked.materials.all())
    open_items = [materials.material_label(m.code) for m in items if m.state != Material.State.PROVIDED]
    if open_items:
        raise ValidationFailed(
            _("These materials are not all in order yet: %(items)s. Tick them, or issue the one-time notice.")
            % {"items": "、".join(open_items)}, code="materials_incomplete")
    if locked.kind == Kind.ADD_PERSONS:
        upload = locked.roster_uploads.filter(is_current=True).first()
        if upload is None or not upload.is_valid or upload.row_count == 0:
            raise ValidationFailed(_("Upload a staff list without errors before the review."), code="roster_missing")


def _as_decided(locked: Application, changes: dict) -> Application:
    """The locked application with the decision applied in memory, for its letter (the transition saves it)."""
    for field, value in changes.items():
        setattr(locked, field, value)
    return locked


def start_review(*, actor, application: Application, expected_version: int | None = None) -> Application:
    """Submitted/resubmitted → under review, once every material is provided."""
    with transaction.atomic():
        locked = lock(application, expected_version)
        require_move(actor, locked, Status.UNDER_REVIEW)
        _check_ready_for_review(locked)
        changes = {"reviewer": actor} if has_role(actor, *DECIDERS) else {}
        locked = transition(locked, Status.UNDER_REVIEW, actor=actor, action="enrollment.application.review_started",
                            changes=changes)
    return sync(application, locked)


def approve_application(*, actor, application: Application, note: str = "", expected_version: int | None = None):
    """Under review → approved, with the approval letter. Returns the letter."""
    from ...letters import ApprovalLetter

    with transaction.atomic():
        locked = lock(application, expected_version)
        require_move(actor, locked, Status.APPROVED)
        _check_segregation(actor, locked)
        check_applicable(locked)
        changes = {"decided_by": actor, "decided_at": timezone.now(), "decision_note": (note or "").strip(),
                   "decision_reasons": []}
        letter = ApprovalLetter(_as_decided(locked, changes))
        letter.prepare()  # rendered before the audit chain's lock, which the transition takes
        locked = transition(locked, Status.APPROVED, actor=actor, action="enrollment.application.approved",
                            changes=changes)
        letter = letter.keep(actor=actor, obj=locked)
    sync(application, locked)
    return letter


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
        locked = lock(application, expected_version)
        require_move(actor, locked, Status.REJECTED)
        _check_segregation(actor, locked)
        if errors:
            raise ValidationFailed(errors=errors)
        changes = {"decided_by": actor, "decided_at": timezone.now(), "decision_reasons": reasons,
                   "decision_note": note}
        letter = RejectionLetter(_as_decided(locked, changes))
        letter.prepare()  # rendered before the audit chain's lock, which the transition takes
        locked = transition(locked, Status.REJECTED, actor=actor, action="enrollment.application.rejected",
                            changes=changes)
        letter = letter.keep(actor=actor, obj=locked)
    sync(application, locked)
    return letter


def register_application(*, actor, application: Application, expected_version: int | None = None) -> Application:
    """Approved → registered: apply the change to the register, all of it or nothing."""
    with transaction.atomic():
        locked = lock(application, expected_version)
        require_move(actor, locked, Status.REGISTERED)
        changes = apply_to_register(actor=actor, application=locked)
        locked = transition(locked, Status.REGISTERED, actor=actor, action="enrollment.application.registered",
                            changes={"registered_at": timezone.now(), **changes})
    return sync(application, locked)
