"""The nightly look at time limits: each open case past its due date goes to the problem ledger once."""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.audit import record

from ... import materials
from ...models import Application
from .common import today as office_today


def overdue_applications(on: date):
    """Open cases past their due date on `on` (a case waiting for the applicant has no due date)."""
    return Application.objects.filter(status__in=Application.OPEN_STATES, due_date__lt=on)


def report_overdue_applications(on: date | None = None) -> int:
    """Raise each overdue open case in the problem ledger, once; return how many were raised now.

    Safe to run again the same night or after a crash: a case remembers its ledger entry, and
    report_problem is keyed on the case, so a retry between the two writes adds nothing new.
    """
    from supervision.services import report_problem

    on = on or office_today()
    raised = 0
    for pk in overdue_applications(on).filter(overdue_problem_id__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            app = (Application.objects.select_for_update(skip_locked=True, of=("self",))
                   .filter(pk=pk, overdue_problem_id__isnull=True).first())
            if app is None:
                continue
            problem, _created = report_problem(
                source_key=f"enrollment.application:{app.pk}:overdue", source_app="enrollment",
                category="overdue_application",
                title=_("Application %(number)s (%(kind)s) is past its due date %(due)s") % {
                    "number": app.number, "kind": app.get_kind_display(), "due": app.due_date.isoformat()},
                description=_("Time limit: %(days)d working days. Status: %(status)s. Applicant: %(applicant)s.") % {
                    "days": materials.time_limit(app.kind), "status": app.get_status_display(),
                    "applicant": app.applicant_name},
                link=reverse("enrollment:application_detail", args=[app.pk]))
            Application.objects.filter(pk=app.pk).update(overdue_problem_id=problem.pk)
            record(None, "enrollment.application.overdue_reported", app, None,
                   {"due_date": app.due_date, "problem": problem.pk, "on": on})
            raised += 1
    return raised
