"""The clerks' resolutions of discrepancies: take the agency's value, keep ours, escalate.

Taking the agency's value changes the register through enrollment's own services (audited, with
the status history kept), then closes the discrepancy as resolved. Keeping ours marks it to be
reported back to the agency; it stays open until the agency's data agrees. Escalating raises it
in the problem ledger. Every resolution is audited; two clerks resolving the same discrepancy at
once cannot both succeed (row lock and version).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import ConcurrentEdit, DomainError, InvalidTransition, ValidationFailed
from supervision.services import report_problem

from ..models import Discrepancy, Person, StatusChange
from ..services.register import register_person, update_person
from .escalation import CATEGORY, source_key

Kind, Resolution = Discrepancy.Kind, Discrepancy.Resolution
# Fields the agency's row sets together: one without the other would not be a valid register entry.
TOGETHER = {
    "insurance_type": ("insurance_type", "employer_code"),
    "employer_code": ("insurance_type", "employer_code"),
    "status": ("status", "status_date"),
    "status_date": ("status", "status_date"),
}


def _agency_value(name: str, text: str):
    if name == "status_date":
        return date.fromisoformat(text)
    if name == "paid_through":
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    if name == "employer_code":
        return text.strip().upper()
    if name == "name":
        return text.strip()
    return text


def _snapshot(d: Discrepancy) -> dict:
    return {"resolution": d.resolution, "closed_on": d.closed_on.isoformat() if d.closed_on else None,
            "problem_id": d.problem_id}


def _locked(discrepancy: Discrepancy, expected_version: int | None) -> Discrepancy:
    locked = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit()
    if locked.closed_on is not None:
        raise InvalidTransition(_("This discrepancy is already closed."))
    return locked


def _done(d: Discrepancy, actor, resolution: str, note: str, *, close: bool, action: str, extra=None) -> None:
    before = _snapshot(d)
    d.resolution, d.resolution_note = resolution, note
    d.resolved_by, d.resolved_at = actor, timezone.now()
    fields = ["resolution", "resolution_note", "resolved_by", "resolved_at", "version"]
    if close:
        d.closed_on, d.close_reason = timezone.localdate(), Discrepancy.CloseReason.RESOLVED
        fields += ["closed_on", "close_reason"]
    d.version += 1
    d.save(update_fields=fields)
    record(actor, action, d, before, {**_snapshot(d), "note": note, **(extra or {})})


@transaction.atomic
def take_agency_value(*, actor, discrepancy: Discrepancy, note: str = "",
                      expected_version: int | None = None) -> Discrepancy:
    """Make the register say what the agency says, then close the discrepancy as resolved."""
    d = _locked(discrepancy, expected_version)
    row = d.agency_row or {}
    reference = f"discrepancy:{d.pk}"
    if d.kind == Kind.MISSING_LOCAL:
        person = register_person(
            actor=actor, id_number=d.id_number, name=row.get("name", ""), insurance_type=row.get("insurance_type"),
            employer_code=row.get("employer_code", ""), status=row.get("status"),
            status_date=_agency_value("status_date", row.get("status_date", "")),
            paid_through=_agency_value("paid_through", row.get("paid_through", "")),
            source=StatusChange.Source.RECONCILIATION, reference=reference,
        )
        changed = {"person": person.pk}
    elif d.kind == Kind.FIELD_MISMATCH:
        person = Person.objects.filter(id_number=d.id_number).first()
        if person is None:
            raise ValidationFailed(_("The person is no longer in the register."))
        names = TOGETHER.get(d.field, (d.field,))
        changes = {name: _agency_value(name, row.get(name, d.agency_value if name == d.field else ""))
                   for name in names}
        update_person(actor=actor, person=person, changes=changes, source=StatusChange.Source.RECONCILIATION,
                      reference=reference)
        changed = {"person": person.pk, "changes": {k: str(v) for k, v in changes.items()}}
        _close_siblings(d, names, actor)
    else:
        raise ValidationFailed(
            _("There is no agency value to take for a discrepancy of this kind; keep ours or escalate it."),
            code="nothing_to_take")
    _done(d, actor, Resolution.TAKE_AGENCY, note, close=True, action="enrollment.discrepancy.agency_value_taken",
          extra=changed)
    return d


def _close_siblings(d: Discrepancy, names, actor) -> None:
    """The other field taken together with this one closes its own open discrepancy too."""
    for sibling in Discrepancy.objects.select_for_update().filter(
        kind=Kind.FIELD_MISMATCH, id_number=d.id_number, field__in=[n for n in names if n != d.field],
        closed_on__isnull=True,
    ):
        _done(sibling, actor, Resolution.TAKE_AGENCY, _("taken with %(field)s") % {"field": d.field}, close=True,
              action="enrollment.discrepancy.agency_value_taken")


@transaction.atomic
def keep_our_value(*, actor, discrepancy: Discrepancy, note: str = "",
                   expected_version: int | None = None) -> Discrepancy:
    """Keep the register as it is; the discrepancy is listed for reporting back to the agency."""
    d = _locked(discrepancy, expected_version)
    _done(d, actor, Resolution.KEEP_OURS, note, close=False, action="enrollment.discrepancy.ours_kept")
    return d


@transaction.atomic
def escalate_discrepancy(*, actor, discrepancy: Discrepancy, note: str = "",
                         expected_version: int | None = None) -> Discrepancy:
    """Raise the discrepancy in the problem ledger (once), and mark it escalated."""
    d = _locked(discrepancy, expected_version)
    problem, _created = report_problem(
        source_key=source_key(d.pk), source_app="enrollment", category=CATEGORY, actor=actor,
        title=_("Discrepancy with the agency: %(kind)s %(field)s") % {"kind": d.get_kind_display(), "field": d.field},
        description=note or _("Escalated by a clerk."), responsible_unit=_("Enrollment section"),
        link=f"/enrollment/discrepancies/{d.pk}/",
    )
    d.problem_id = problem.pk
    d.save(update_fields=["problem_id"])
    _done(d, actor, Resolution.ESCALATED, note, close=False, action="enrollment.discrepancy.escalated",
          extra={"problem": problem.pk})
    return d


ACTIONS = {
    Resolution.TAKE_AGENCY: take_agency_value,
    Resolution.KEEP_OURS: keep_our_value,
    Resolution.ESCALATED: escalate_discrepancy,
}


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def resolve_many(*, actor, discrepancies, resolution: str, note: str = "",
                 expected_versions: dict[int, int | None] | None = None) -> BulkOutcome:
    """Resolve each selected discrepancy in its own transaction; report those that could not be.

    expected_versions maps ids to the version the clerk's page showed: a discrepancy changed since
    (by a colleague, or by the night's run) is refused with ConcurrentEdit, not overwritten.
    """
    action = ACTIONS[resolution]
    versions = expected_versions or {}
    outcome = BulkOutcome()
    for d in discrepancies:
        try:
            action(actor=actor, discrepancy=d, note=note, expected_version=versions.get(d.pk))
        except DomainError as exc:
            details = "; ".join(f"{e.get('column') or ''} {e['message']}".strip() for e in exc.errors)
            outcome.failed.append((d.pk, f"{exc.message} {details}".strip()))
        else:
            outcome.done.append(d.pk)
    return outcome
