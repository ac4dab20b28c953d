"""The nightly look at time limits: each open case past its due date goes to the problem ledger once."""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.audit import record_many

from ... import materials
from ...models import Application
from .common import today as office_today


def overdue_applications(on: date):
    """Open cases past their due date on `on` (a case waiting for the applicant has no due date)."""
    return Application.objects.filter(status__in=Application.OPEN_STATES, due_date__lt=on)


def source_key(application_id: int) -> str:
    return f"enrollment.application:{application_id}:overdue"


def report_overdue_applications(on: date | None = None, *, actor) -> int:
    """Raise each overdue open case in the problem ledger, once; return how many were raised now.

    Set-based, in one transaction and a fixed number of queries whatever the number of cases: the
    cases are locked (skipping any a clerk holds: the next night takes it), their problems raised
    in one insert, linked in one update and audited in one insert. `actor` is the system user for
    the nightly job. Safe to run again the same night: a linked case is not taken again, and the
    ledger is keyed on the case.
    """
    from supervision.services import report_problems

    on = on or office_today()
    with transaction.atomic():
        cases = list(overdue_applications(on).filter(overdue_problem_id__isnull=True)
                     .select_for_update(skip_locked=True, of=("self",)).order_by("pk"))
        if not cases:
            return 0
        problem_ids = report_problems([{
            "source_key": source_key(app.pk), "source_app": "enrollment", "category": "overdue_application",
            "title": _("Application %(number)s (%(kind)s) is past its due date %(due)s") % {
                "number": app.number, "kind": app.get_kind_display(), "due": app.due_date.isoformat()},
            "description": _("Time limit: %(days)d working days. Status: %(status)s. Applicant: %(applicant)s.") % {
                "days": materials.time_limit(app.kind), "status": app.get_status_display(),
                "applicant": app.applicant_name},
            "link": reverse("enrollment:application_detail", args=[app.pk]),
        } for app in cases], actor=actor)
        for app, problem_id in zip(cases, problem_ids, strict=True):
            app.overdue_problem_id = problem_id
        Application.objects.bulk_update(cases, ["overdue_problem_id"], batch_size=2000)
        record_many(actor, "enrollment.application.overdue_reported", [
            (app, None, {"due_date": app.due_date, "problem": app.overdue_problem_id, "on": on}) for app in cases])
    return len(cases)
