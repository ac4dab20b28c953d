"""Discrepancies left open too long go to the problem ledger (supervision's inbound functions)."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from supervision.services import report_problems

from ...models import Discrepancy

CATEGORY = "enrollment.discrepancy"


def source_key(discrepancy_id: int) -> str:
    return f"enrollment.discrepancy:{discrepancy_id}"


def escalate_aged(*, actor, on: date, days: int | None = None) -> int:
    """Raise one problem for each open discrepancy first seen `days` or more days before `on`, in
    one transaction and a fixed number of queries; return how many were raised. A discrepancy
    whose agency value was taken, or that already has its problem, is left alone."""
    days = settings.DISCREPANCY_ESCALATE_AFTER_DAYS if days is None else days
    cutoff = on - timedelta(days=days)
    with transaction.atomic():
        aged = list(
            Discrepancy.objects.select_for_update(skip_locked=True)
            .filter(closed_on__isnull=True, problem_id__isnull=True, first_seen__lte=cutoff)
            .exclude(resolution=Discrepancy.Resolution.TAKE_AGENCY)
            .only("id", "kind", "id_number", "field", "first_seen")
        )
        if not aged:
            return 0
        problem_ids = report_problems([
            {
                "source_key": source_key(d.id), "source_app": "enrollment", "category": CATEGORY,
                "title": _("Discrepancy with the agency open for %(days)d days: %(kind)s %(field)s")
                % {"days": (on - d.first_seen).days, "kind": d.get_kind_display(), "field": d.get_field_display()},
                "description": _("First seen %(first)s, still open on %(date)s.")
                % {"first": d.first_seen.isoformat(), "date": on.isoformat()},
                "responsible_unit": _("Enrollment section"),
                "link": f"/enrollment/discrepancies/{d.id}/",
            }
            for d in aged
        ], actor=actor)
        for d, problem_id in zip(aged, problem_ids, strict=True):
            d.problem_id = problem_id
        Discrepancy.objects.bulk_update(aged, ["problem_id"], batch_size=2000)
    return len(aged)
