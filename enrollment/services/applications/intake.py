"""The window's side of a case: take it in, check the materials, submit, issue the one-time
notice (一次性告知) and take the resubmission. Every change is audited in its transaction."""

import copy
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import Conflict, ValidationFailed
from core.numbers import next_number
from core.workdays import add_working_days
from core.workflow import begin, begin_edit, finish

from ... import materials
from ...kinds import spec_for
from ...models import Application, Material
from .common import due_date_for, require_clerk, require_editable, require_materials_in_order, snapshot, today
from .payloads import check_application_data

Status = Application.Status
State = Material.State
NUMBER_PREFIX = "ENR"


@transaction.atomic
def create_application(*, actor, kind: str, applicant_name: str, applicant_phone: str = "",
                       employer_code: str = "", person_id_number: str = "", effective_date: date | None = None,
                       payload: dict | None = None, provided: list[str] | None = None) -> Application:
    """Take in a case at the window (a draft) with its kind's checklist.

    `provided` lists the codes of the materials handed over; the others are marked missing. With
    provided=None every item starts unchecked.
    """
    require_clerk(actor)
    employer, person, cleaned = check_application_data(
        kind=kind, applicant_name=applicant_name, applicant_phone=applicant_phone, employer_code=employer_code,
        person_id_number=person_id_number, effective_date=effective_date, payload=payload or {})
    codes = spec_for(kind).checklist
    unknown = sorted(set(provided or ()) - set(codes))
    if unknown:
        raise ValidationFailed(errors=[{"column": "provided", "message": _("Not on this kind's checklist: %(c)s")
                                        % {"c": ", ".join(unknown)}}])
    app = Application.objects.create(
        number=next_number(NUMBER_PREFIX, today().year), kind=kind, applicant_name=applicant_name.strip(),
        applicant_phone=(applicant_phone or "").strip(), employer=employer, person=person,
        effective_date=effective_date, payload=cleaned, created_by=actor,
    )
    initial = {code: State.PENDING if provided is None else (State.PROVIDED if code in provided else State.MISSING)
               for code in codes}
    Material.objects.bulk_create([Material(application=app, code=code, state=initial[code]) for code in codes])
    record(actor, "enrollment.application.created", app, None, {**snapshot(app), "materials": initial})
    return app


@transaction.atomic
def tick_materials(*, actor, application: Application, states: dict[str, tuple[str, str]],
                   expected_version: int | None = None) -> Application:
    """Record what the clerk found for each item: {code: (state, note)}. An invalid item needs a note."""
    require_clerk(actor)
    move = begin_edit(application, actor=actor, expected_version=expected_version)
    locked = move.obj
    require_editable(locked)
    current = {m.code: m for m in locked.materials.all()}
    errors = []
    for code, (state, note) in states.items():
        if code not in current:
            errors.append({"column": code, "message": _("Not on this case's checklist.")})
        elif state not in State.values:
            errors.append({"column": code, "message": _("Unknown state of a material.")})
        elif state == State.INVALID and not (note or "").strip():
            errors.append({"column": code, "message": _("Say what is wrong with “%(m)s”: the notice shows it.")
                           % {"m": materials.material_label(code)}})
    if errors:
        raise ValidationFailed(errors=errors)
    changed, before, after = [], {}, {}
    for code, (state, note) in states.items():
        item, note = current[code], (note or "").strip()[:300]
        if (item.state, item.note) != (state, note):
            before[code], after[code] = [item.state, item.note], [state, note]
            item.state, item.note = state, note
            changed.append(item)
    if not changed:
        return locked
    Material.objects.bulk_update(changed, ["state", "note"])
    return finish(move, action="enrollment.application.materials_checked", before=before, after=after)


def _clock_started_today(kind: str) -> dict:
    """The time limit counted from today: the due date and whether an unconfirmed calendar year was used."""
    due, unconfirmed = due_date_for(kind, today())
    return {"due_date": due, "due_date_unconfirmed": unconfirmed}


def submit_application(*, actor, application: Application, expected_version: int | None = None) -> Application:
    """Draft → submitted; the time limit starts counting today."""
    with transaction.atomic():
        move = begin(application, Status.SUBMITTED, actor=actor, expected_version=expected_version)
        return finish(move, action="enrollment.application.submitted",
                      changes={"submitted_at": timezone.now(), **_clock_started_today(move.obj.kind)})


def notice_items(application: Application) -> list[Material]:
    return [m for m in application.materials.all() if m.state in (State.MISSING, State.INVALID)]


def issue_notice(*, actor, application: Application, expected_version: int | None = None):
    """Submitted/resubmitted → incomplete, with the one-time notice listing everything missing.

    Every item must have been checked first, so that the notice is complete the first time. The
    time limit stops until the applicant brings the items (it starts again at resubmission).
    Returns the notice (a LetterRecord).
    """
    from ...letters import OneTimeNotice

    with transaction.atomic():
        move = begin(application, Status.INCOMPLETE, actor=actor, expected_version=expected_version)
        items = list(move.obj.materials.all())
        unchecked = [materials.material_label(m.code) for m in items if m.state == State.PENDING]
        if unchecked:
            raise ValidationFailed(_("Check every item of the checklist before issuing the notice; not checked: "
                                     "%(items)s.") % {"items": "、".join(unchecked)}, code="materials_unchecked")
        missing = notice_items(move.obj)
        if not missing:
            raise Conflict(_("Nothing is missing or invalid: start the review instead."), code="nothing_missing")
        changes = {"notice_deadline": add_working_days(today(), materials.NOTICE_REPLY_DAYS), "due_date": None,
                   "due_date_unconfirmed": False}
        pending = copy.copy(move.obj)  # the case as the notice tells it; finish() saves and audits the change
        for field, value in changes.items():
            setattr(pending, field, value)
        notice = OneTimeNotice(pending, missing)
        notice.prepare()  # rendered before the audit chain's lock, which finish() takes
        locked = finish(move, action="enrollment.application.notice_issued", changes=changes,
                        note=", ".join(m.code for m in missing))
        return notice.keep(actor=actor, obj=locked)


def resubmit_application(*, actor, application: Application, expected_version: int | None = None) -> Application:
    """Incomplete → resubmitted: the applicant brought the items; the time limit starts again today.

    Only once every checklist item is ticked as provided: a resubmission with an item still missing
    or not valid is refused, naming the items, and the clock does not restart.
    """
    with transaction.atomic():
        move = begin(application, Status.RESUBMITTED, actor=actor, expected_version=expected_version)
        require_materials_in_order(move.obj, _(
            "The materials are not complete yet: %(items)s. Tick each item as provided when the applicant brings "
            "it, then resubmit."))
        return finish(move, action="enrollment.application.resubmitted",
                      changes={"resubmitted_at": timezone.now(), **_clock_started_today(move.obj.kind)})


__all__ = ["create_application", "issue_notice", "notice_items", "resubmit_application", "submit_application",
           "tick_materials", "require_editable"]
