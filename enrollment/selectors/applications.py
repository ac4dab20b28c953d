"""Reads of registration applications: the clerks' queue (shared by the page, the export and
the API through ApplicationFilter), a case's letters, roster and time left."""

from datetime import date

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import LetterRecord
from core.roles import has_role
from core.workdays import add_working_days, working_days_left

from ..materials import DUE_SOON_DAYS
from ..models import Application
from ..roles import ENROLLMENT_STAFF

__all__ = [
    "ApplicationFilter", "application_letters", "applications_visible_to", "current_roster", "queue_order",
    "with_time_left",
]


def applications_visible_to(user):
    """Every case for enrollment's staff; nothing for anyone else."""
    if not has_role(user, *ENROLLMENT_STAFF):
        return Application.objects.none()
    return Application.objects.select_related("employer", "person", "created_by")


def queue_order(qs):
    """Earliest due first; cases with no due date (drafts, waiting for the applicant) after them."""
    return qs.order_by(F("due_date").asc(nulls_last=True), "-created_at", "-id")


class ApplicationFilter(django_filters.FilterSet):
    """The queue's filters: which queue, state, kind, and a search over number, applicant, employer."""

    QUEUES = [
        ("open", _("Open cases")), ("mine", _("My open cases")), ("due_soon", _("Due soon")),
        ("overdue", _("Overdue")), ("all", _("All cases")),
    ]

    queue = django_filters.ChoiceFilter(choices=QUEUES, method="filter_queue", empty_label=None,
                                        label=_("Queue"))
    status = django_filters.ChoiceFilter(choices=Application.Status.choices, label=_("Status"),
                                         empty_label=_("Any status"))
    kind = django_filters.ChoiceFilter(choices=Application.Kind.choices, label=_("Kind"), empty_label=_("Any kind"))
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Application
        fields = ["queue", "status", "kind", "q"]

    def __init__(self, data=None, *args, today: date | None = None, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("queue"):
            data["queue"] = "open"
        super().__init__(data, *args, **kwargs)
        self.today = today

    def filter_queue(self, qs, name, value):
        today = self.today
        if value == "all":
            return qs
        qs = qs.filter(status__in=Application.OPEN_STATES)
        if value == "mine":
            user = getattr(self.request, "user", None)
            return qs.filter(created_by=user) if user is not None else qs.none()
        if value == "due_soon":
            return qs.filter(due_date__gte=today, due_date__lte=add_working_days(today, DUE_SOON_DAYS))
        if value == "overdue":
            return qs.filter(due_date__lt=today)
        return qs

    def filter_search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(number__icontains=value) | Q(applicant_name__startswith=value)
                         | Q(employer__name__startswith=value) | Q(employer__uscc=value.upper())
                         | Q(person__name__startswith=value))


def with_time_left(rows, today: date):
    """Set `days_left` (working days, negative when overdue), `overdue`, `days_overdue` and `due_soon`.

    One calendar query for the whole page, whatever its length.
    """
    rows = list(rows)
    left = working_days_left(today, [r.due_date for r in rows])
    for r in rows:
        r.days_left = left.get(r.due_date) if r.due_date else None
        r.overdue = bool(r.due_date and r.due_date < today and r.status in Application.OPEN_STATES)
        r.days_overdue = max(-(r.days_left or 0), 1) if r.overdue else 0
        r.due_soon = bool(not r.overdue and r.days_left is not None and r.days_left <= DUE_SOON_DAYS
                          and r.status in Application.OPEN_STATES)
    return rows


def application_letters(application: Application):
    return LetterRecord.objects.filter(object_type=application._meta.label_lower,
                                       object_id=str(application.pk)).order_by("issued_at", "id")


def current_roster(application: Application):
    return application.roster_uploads.filter(is_current=True).select_related("uploaded_by").first()
