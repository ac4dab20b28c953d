"""Reads of the problem ledger: the list's filters and counts, who may be assigned, plain labels."""

from dataclasses import dataclass
from datetime import date

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import has_role

from .models import Problem
from .roles import ASSIGNEES, SUPERVISORS

# Who may be given a problem to rectify: the office's own staff (not providers, not the system user).
ASSIGNABLE_ROLES = [str(role) for role in ASSIGNEES]


def problems_visible_to(user) -> QuerySet:
    """The whole ledger for those who keep it; for anyone else, the problems given to them."""
    if has_role(user, *SUPERVISORS):
        return Problem.objects.all()
    return Problem.objects.filter(assignee=user) if getattr(user, "pk", None) else Problem.objects.none()


def open_problems():
    return Problem.objects.exclude(status=Problem.Status.CLOSED)


def overdue(today: date | None = None) -> Q:
    """A problem whose deadline has passed and that is not closed (index problem_deadline_idx)."""
    return Q(deadline__lt=today or timezone.localdate(), deadline__isnull=False) & ~Q(status=Problem.Status.CLOSED)


def assignable_staff() -> QuerySet:
    return (get_user_model().objects.filter(is_active=True, groups__name__in=ASSIGNABLE_ROLES)
            .distinct().order_by("first_name", "last_name", "username"))



def home_summary(user) -> dict:
    """The supervisor's home panel: problems not closed, overdue, and waiting for verification (one query)."""
    counts = Problem.objects.aggregate(
        open=Count("id", filter=~Q(status=Problem.Status.CLOSED)), overdue=Count("id", filter=overdue()),
        to_verify=Count("id", filter=Q(status=Problem.Status.AWAITING_VERIFICATION)))
    return counts


def assigned_summary(user) -> dict | None:
    """The home panel "problems assigned to me": those given to this user and not closed, the overdue
    ones among them (one query); None, hiding the panel, when there is none."""
    counts = open_problems().filter(assignee=user).aggregate(open=Count("id"), overdue=Count("id", filter=overdue()))
    return counts if counts["open"] else None


def source_label(source_app: str) -> str:
    """The app a problem came from, by its name ("参保登记"), never its code."""
    try:
        return str(apps.get_app_config(source_app).verbose_name)
    except LookupError:
        return str(_("Other"))


def category_label(code: str) -> str:
    """What kind of problem it is, in the words of the app that reports it.

    Each reporting app names its categories on its AppConfig (`problem_categories`: code -> label);
    a code nobody names reads "Other" (pages never show codes).
    """
    for config in apps.get_app_configs():
        labels = getattr(config, "problem_categories", None) or {}
        if code in labels:
            return str(labels[code])
    return str(_("Other"))


@dataclass(frozen=True)
class LedgerSummary:
    """What the ledger's page shows beside the list: problems per state, the overdue ones, and the
    sources and responsible units there are to filter by."""

    by_status: dict[str, int]
    overdue: int
    sources: list[tuple[str, str]]  # (code, label) for the filter
    units: list[tuple[str, str]]


def ledger_summary(today: date | None = None, *, problems: QuerySet | None = None) -> LedgerSummary:
    """One GROUP BY over (state, source, unit) of `problems` (by default the whole ledger): a few dozen
    rows however long the ledger is."""
    problems = Problem.objects.all() if problems is None else problems
    rows = list(problems.order_by().values("status", "source_app", "responsible_unit")
                .annotate(n=Count("id"), late=Count("id", filter=overdue(today))))
    by_status = dict.fromkeys(Problem.Status.values, 0)
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
    sources = sorted({row["source_app"] for row in rows})
    units = sorted({row["responsible_unit"] for row in rows} - {""})
    return LedgerSummary(by_status=by_status, overdue=sum(row["late"] for row in rows),
                         sources=[(code, source_label(code)) for code in sources], units=[(u, u) for u in units])


class ProblemFilter(django_filters.FilterSet):
    """The ledger's filters: state, source, responsible unit, overdue, and a search in the title."""

    status = django_filters.ChoiceFilter(choices=Problem.Status.choices, label=_("State"), empty_label=_("Any state"))
    source = django_filters.ChoiceFilter(field_name="source_app", label=_("Source"), empty_label=_("Any source"))
    unit = django_filters.ChoiceFilter(field_name="responsible_unit", label=_("Responsible unit"),
                                       empty_label=_("Any unit"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue only"),
                                           widget=forms.CheckboxInput)
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Assigned to me only"),
                                        widget=forms.CheckboxInput)
    q = django_filters.CharFilter(method="filter_search", label=_("Title contains"), max_length=100)

    class Meta:
        model = Problem
        fields = ["status", "source", "unit", "overdue", "mine", "q"]

    def __init__(self, data=None, *args, summary: LedgerSummary, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["source"].extra["choices"] = summary.sources
        self.filters["unit"].extra["choices"] = summary.units

    def filter_overdue(self, qs, name, value):
        return qs.filter(overdue()) if value else qs

    def filter_mine(self, qs, name, value):
        user = getattr(self.request, "user", None)
        return qs.filter(assignee=user) if value and getattr(user, "pk", None) else qs

    def filter_search(self, qs, name, value):
        value = value.strip()
        return qs.filter(title__icontains=value) if value else qs


def problems_for_list(data=None, request=None, summary: LedgerSummary | None = None) -> ProblemFilter:
    """The filtered ledger the request's user may see (problems_visible_to), newest first, with the
    assignee read in the same query."""
    visible = problems_visible_to(request.user if request is not None else None)
    return ProblemFilter(data or None, queryset=visible.select_related("assignee").order_by("-raised_at", "-id"),
                         request=request, summary=summary or ledger_summary(problems=visible))
