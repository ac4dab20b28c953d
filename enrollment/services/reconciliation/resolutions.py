"""The clerks' work on discrepancies: keep ours, escalate; report the kept ones back to the agency.
Taking the agency's value changes the register, so it takes two people: see proposals.py.

Each resolution is a move of the discrepancy's transitions table (core.workflow): begin() locks it
and refuses a stale page (a colleague's resolution, or the night's run having changed its values),
a closed one and a role that may not; the work is done on the locked row; finish() saves and audits.
Keeping ours leaves it open, listed to be reported back until the agency's data agrees. Escalating
raises it in the problem ledger (again, if it is escalated once more).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import DomainError
from core.workflow import begin, finish
from supervision.services import report_problem

from ...models import Discrepancy
from .escalation import CATEGORY, source_key

Kind, Resolution, Status = Discrepancy.Kind, Discrepancy.Resolution, Discrepancy.Status


def _resolved(move, resolution: str, note: str, *, action: str, changes: dict | None = None,
              after: dict | None = None) -> Discrepancy:
    """finish() for a resolution: who resolved it how, and the close when the move is to CLOSED."""
    changes = {"resolution": resolution, "resolution_note": note, "resolved_by": move.actor,
               "resolved_at": timezone.now(), **(changes or {})}
    if move.to == Status.CLOSED:
        changes |= {"closed_on": timezone.localdate(), "close_reason": Discrepancy.CloseReason.RESOLVED}
    return finish(move, action=action, changes=changes, after=after)


@transaction.atomic
def keep_our_value(*, actor, discrepancy: Discrepancy, note: str = "",
                   expected_version: int | None = None) -> Discrepancy:
    """Keep the register as it is; the discrepancy is listed for reporting back to the agency."""
    move = begin(discrepancy, Status.KEPT, actor=actor, expected_version=expected_version)
    return _resolved(move, Resolution.KEEP_OURS, note, action="enrollment.discrepancy.ours_kept")


@transaction.atomic
def escalate_discrepancy(*, actor, discrepancy: Discrepancy, note: str = "",
                         expected_version: int | None = None) -> Discrepancy:
    """Raise the discrepancy in the problem ledger (one entry per discrepancy), and mark it escalated."""
    move = begin(discrepancy, Status.ESCALATED, actor=actor, expected_version=expected_version)
    d = move.obj
    problem, _created = report_problem(
        source_key=source_key(d.pk), source_app="enrollment", category=CATEGORY, actor=actor,
        title=_("Discrepancy with the agency: %(kind)s %(field)s") % {"kind": d.get_kind_display(),
                                                                      "field": d.get_field_display()},
        description=note or _("Escalated by a clerk."), responsible_unit=_("Enrollment section"),
        link=f"/enrollment/discrepancies/{d.pk}/",
    )
    return _resolved(move, Resolution.ESCALATED, note, action="enrollment.discrepancy.escalated",
                     changes={"problem_id": problem.pk})


# The resolutions one person makes alone (taking the agency's value is proposed and confirmed instead).
ACTIONS = {
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


@transaction.atomic
def report_back(*, actor, discrepancies) -> list[int]:
    """Mark the open ones where ours was kept as reported back to the agency today (the export the
    agency gets is made of them): one UPDATE and one audit entry. Returns their ids."""
    today = timezone.localdate()
    kept = list(discrepancies.filter(status=Status.KEPT).select_for_update().order_by("pk")
                .values_list("id", flat=True))
    if kept:
        Discrepancy.objects.filter(pk__in=kept).update(reported_back_on=today)
        record(actor, "enrollment.discrepancy.reported_back",
               ("enrollment.discrepancy", "report-back", f"reported back {today.isoformat()}"), None,
               {"ids": kept, "count": len(kept), "reported_back_on": today.isoformat()})
    return kept


@transaction.atomic
def record_discrepancy_export(*, actor, count: int, fmt: str, filters: dict) -> None:
    """Note an export with full identity numbers (reading them is audited, as a reveal is)."""
    record(actor, "enrollment.discrepancy.exported", ("enrollment.discrepancy", "export", "export"), None,
           {"count": count, "format": fmt, "filters": filters, "full_id_numbers": True})
