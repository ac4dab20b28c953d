"""Reads of registration applications: the clerks' queue (shared by the page, the export and
the API through ApplicationFilter) with its tabs and their counts, the case page's next steps, a
case's letters, roster and time left, and enrollment's panel of the home page."""

from dataclasses import dataclass
from datetime import date

import django_filters
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed
from core.models import LetterRecord
from core.roles import Role, has_role
from core.workdays import add_working_days, working_days_left
from core.workflow import allowed_targets

from .. import materials
from ..kinds import spec_for
from ..materials import DUE_SOON_DAYS
from ..models import Application, Material
from ..models.applications import CLERKS, DECIDERS
from ..roles import ENROLLMENT_STAFF

__all__ = [
    "ApplicationFilter", "NextSteps", "Step", "application_letters", "applications_visible_to", "current_roster",
    "default_queue", "home_summary", "next_steps", "queue_conditions", "queue_counts", "queue_order", "queue_tabs",
    "with_time_left",
]

Status = Application.Status


def applications_visible_to(user):
    """Every case for enrollment's staff; nothing for anyone else."""
    if not has_role(user, *ENROLLMENT_STAFF):
        return Application.objects.none()
    return Application.objects.select_related("employer", "person", "created_by")


def queue_order(qs):
    """Earliest due first; cases with no due date (drafts, waiting for the applicant) after them."""
    return qs.order_by(F("due_date").asc(nulls_last=True), "-created_at", "-id")


# -- the queue and its tabs --------------------------------------------------------------------------

def _every_material_provided():
    return ~Exists(Material.objects.filter(application=OuterRef("pk")).exclude(state=Material.State.PROVIDED))


def queue_conditions(user, today: date) -> dict[str, Q]:
    """Each tab of the queue as a condition on Application, for the filter and for the counts.

    `to_decide` (待我审核 for a reviewer, 待我复核 for a senior reviewer): the cases waiting for this
    user's decision: under review and taken up by them or by nobody yet, or with every material in
    and the review not started; never a case they took in themselves (segregation of duties).
    `open` and `mine` are the cases in hand (在办件: submitted); `drafts` the user's drafts, not submitted.
    """
    open_ = Q(status__in=Application.IN_HAND_STATES)
    soon = add_working_days(today, DUE_SOON_DAYS)
    waiting_for_review = (Q(status=Status.UNDER_REVIEW) & (Q(reviewer=user) | Q(reviewer__isnull=True))
                          | Q(status__in=[Status.SUBMITTED, Status.RESUBMITTED]) & _every_material_provided())
    return {
        "open": open_,
        "mine": open_ & Q(created_by=user),
        "drafts": Q(status=Status.DRAFT, created_by=user),
        "to_decide": waiting_for_review & ~Q(created_by=user),
        "due_soon": open_ & Q(due_date__gte=today, due_date__lte=soon),
        "overdue": open_ & Q(due_date__lt=today),
        "to_register": Q(status=Status.APPROVED),
        "all": Q(),
    }


def decide_tab_label(user) -> str:
    """The decision tab as the user's role calls the work: 待我复核 for a senior reviewer, else 待我审核."""
    if has_role(user, Role.SENIOR_REVIEWER):
        return _("Waiting for my senior review")
    return _("Waiting for my review")


def queue_tabs(user) -> list[tuple[str, str]]:
    """(value, label) of the tabs this user sees, in order."""
    tabs = [("open", _("Open cases"))]
    if has_role(user, *CLERKS):
        tabs += [("mine", _("My open cases")), ("drafts", _("My drafts (not submitted)"))]
    if has_role(user, *DECIDERS):
        tabs.append(("to_decide", decide_tab_label(user)))
    tabs += [("due_soon", _("Due soon")), ("overdue", _("Overdue")), ("all", _("All cases"))]
    return tabs


def default_queue(user) -> str:
    """A reviewer's queue opens on their own cases to decide; everyone else's on the open cases."""
    return "to_decide" if has_role(user, *DECIDERS) and not has_role(user, *CLERKS) else "open"


def queue_counts(conditions: dict[str, Q], tabs: list[str]) -> dict[str, int]:
    """How many cases each tab holds (conditions from queue_conditions()), in one query."""
    return Application.objects.aggregate(**{tab: Count("id", filter=conditions[tab]) for tab in tabs})


class ApplicationFilter(django_filters.FilterSet):
    """The queue's filters: which tab, state, kind, and a search over number, applicant, employer, person.

    A search looks in every case, whatever the tab (`searching_everywhere`); state and kind still apply.
    """

    QUEUES = [
        ("open", _("Open cases")), ("mine", _("My open cases")), ("drafts", _("My drafts (not submitted)")),
        ("to_decide", _("Waiting for my review")),
        ("due_soon", _("Due soon")), ("overdue", _("Overdue")), ("all", _("All cases")),
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

    def __init__(self, data=None, *args, today: date | None = None, default: str = "open", **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("queue"):
            data["queue"] = default
        super().__init__(data, *args, **kwargs)
        self.today = today or timezone.localdate()

    @property
    def user(self):
        return getattr(self.request, "user", None)

    @cached_property
    def searching_everywhere(self) -> bool:
        """A search term was given: the tab does not narrow the results."""
        return bool(self.is_valid() and (self.form.cleaned_data.get("q") or "").strip())

    @property
    def current_tab(self) -> str:
        return "" if self.searching_everywhere else (self.form.cleaned_data.get("queue") or "open")

    @cached_property
    def conditions(self) -> dict[str, Q]:
        return queue_conditions(self.user, self.today)

    def tab_counts(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of the user's tabs, counted in one query."""
        tabs = queue_tabs(self.user)
        counts = queue_counts(self.conditions, [value for value, _label in tabs])
        return [(value, label, counts[value]) for value, label in tabs]

    def filter_queue(self, qs, name, value):
        if self.searching_everywhere:
            return qs
        return qs.filter(self.conditions[value])

    def filter_search(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(number__icontains=value) | Q(applicant_name__icontains=value)
                         | Q(employer__name__icontains=value) | Q(employer__uscc__icontains=value.upper())
                         | Q(person__name__icontains=value))


def with_time_left(rows, today: date):
    """Set `days_left` (working days, negative when overdue), `overdue`, `days_overdue`, `due_soon` and
    `closed` (decided and done: 已办结, no time left to count).

    One calendar query for the whole page, whatever its length.
    """
    rows = list(rows)
    left = working_days_left(today, [r.due_date for r in rows])
    for r in rows:
        r.closed = r.status not in Application.OPEN_STATES
        r.days_left = left.get(r.due_date) if r.due_date and not r.closed else None
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


# -- the case page: what can be done next --------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One thing the user can do on a case now. `action` names the case page's form that does it:
    a move (its URL is enrollment:application_<action>), or "materials" / "roster" (the forms below)."""

    action: str
    label: str
    confirm: bool = False  # irreversible: a confirmation page comes before it is done


MOVE_ACTIONS = ("submit", "notice", "resubmit", "review", "register")
SUBMIT = Step("submit", _("Submit"))
NOTICE = Step("notice", _("Issue the one-time notice"))
RESUBMIT = Step("resubmit", _("Materials brought: resubmit"))
REVIEW = Step("review", _("Start the review"))
APPROVE = Step("approve", _("Approve and register…"), confirm=True)
REJECT = Step("reject", _("Reject…"), confirm=True)
REGISTER = Step("register", _("Apply to the register…"), confirm=True)
CHECKLIST = Step("materials", _("Save the checklist"))
ROSTER = Step("roster", _("Upload and check"))


@dataclass(frozen=True)
class NextSteps:
    """The steps open to the user, the one to take now first (the page's primary button), and what
    the case is waiting for when that is not something the user can do."""

    steps: tuple[Step, ...] = ()
    waiting: str = ""

    @property
    def primary(self) -> str:
        return self.steps[0].action if self.steps else ""

    @property
    def moves(self) -> list[Step]:
        return [s for s in self.steps if s.action in MOVE_ACTIONS]

    @property
    def decide(self) -> bool:
        return any(s.action == APPROVE.action for s in self.steps)


def next_steps(app: Application, user, items: list[Material]) -> NextSteps:
    """What `user` can do on the case now, from its state, its checklist (`items`) and the user's roles.

    The first step is the one the case needs next, so the page's primary button is always a step that
    can succeed: the services refuse the others (a resubmission or a review with a material missing,
    a notice with nothing missing), and the page does not offer them.
    """
    case = _Case(app, user, set(allowed_targets(app, user)),
                 app.status in Application.EDITABLE_STATES and has_role(user, *CLERKS),
                 not_checked=_labels(items, {Material.State.PENDING}),
                 not_in_order=_labels(items, {Material.State.PENDING, Material.State.MISSING,
                                              Material.State.INVALID}))
    by_state = {Status.DRAFT: _draft, Status.SUBMITTED: _checking, Status.RESUBMITTED: _checking,
                Status.INCOMPLETE: _waiting_for_applicant, Status.UNDER_REVIEW: _deciding,
                Status.APPROVED: _registering}
    return by_state[app.status](case) if app.status in by_state else NextSteps()


@dataclass(frozen=True)
class _Case:
    app: Application
    user: object
    targets: set[str]  # the states the user's roles may move the case to
    clerk_edits: bool  # the user may change the checklist and the staff list now
    not_checked: str  # the items not checked yet, as the page names them ("" when none)
    not_in_order: str  # the items not provided in good order (not checked, missing or not valid)


def _draft(case: _Case) -> NextSteps:
    return _offer(Status.SUBMITTED in case.targets, SUBMIT, gettext("The window clerk submits the case."))


def _checking(case: _Case) -> NextSteps:
    if case.not_checked:
        return _offer(case.clerk_edits, CHECKLIST, gettext(
            "Check every item of the checklist first; not checked: %(items)s.") % {"items": case.not_checked})
    if case.not_in_order:
        return _offer(Status.INCOMPLETE in case.targets, NOTICE, gettext(
            "Missing or not valid: %(items)s. The one-time notice lists them for the applicant.")
            % {"items": case.not_in_order})
    blocked = _review_blocked(case.app)
    if blocked:
        return _offer(case.clerk_edits and spec_for(case.app.kind).has_roster, ROSTER, blocked)
    return _offer(Status.UNDER_REVIEW in case.targets, REVIEW, gettext("Every material is in: the review can start."))


def _waiting_for_applicant(case: _Case) -> NextSteps:
    if case.not_in_order:
        deadline = case.app.notice_deadline
        return _offer(case.clerk_edits, CHECKLIST, gettext(
            "Waiting for the applicant to bring: %(items)s (by %(date)s). Tick each item as provided when it is "
            "brought; then the case can be resubmitted.")
            % {"items": case.not_in_order, "date": deadline.isoformat() if deadline else "—"})
    return _offer(Status.RESUBMITTED in case.targets, RESUBMIT,
                  gettext("Every material is in: the case can be resubmitted."))


def _deciding(case: _Case) -> NextSteps:
    if Status.APPROVED not in case.targets:
        return NextSteps(waiting=gettext("Waiting for a reviewer's decision."))
    if case.app.created_by_id == getattr(case.user, "pk", None):
        return NextSteps(waiting=gettext(
            "You entered this application yourself, so you may not decide it: another reviewer must approve or "
            "reject it (segregation of duties)."))
    return NextSteps((APPROVE, REJECT))


def _registering(case: _Case) -> NextSteps:
    return _offer(Status.REGISTERED in case.targets, REGISTER,
                  gettext("Approved: waiting to be applied to the register."))


def _offer(possible: bool, step: Step, waiting: str) -> NextSteps:
    """The step when the user may take it, else what the case waits for; a step that is not a move
    (the checklist, the staff list) comes with the reason it is needed."""
    if not possible:
        return NextSteps(waiting=waiting)
    return NextSteps((step,), "" if step.action in MOVE_ACTIONS else waiting)


def _labels(items: list[Material], states: set[str]) -> str:
    return "、".join(str(materials.material_label(m.code)) for m in items if m.state in states)


def _review_blocked(app: Application) -> str:
    """Why the review cannot start although every material is in (the kind's own condition), or ""."""
    try:
        spec_for(app.kind).before_review(app)
    except ValidationFailed as exc:
        return str(exc.message)
    return ""


# -- the home page -------------------------------------------------------------------------------

def home_summary(user) -> dict:
    """Enrollment's home panel: the counts each of the user's roles works from, as tiles.

    A clerk: their open cases (submitted), due soon, overdue, and their drafts while any wait to be
    submitted. A reviewer or senior reviewer: the cases waiting
    for their decision, overdue. A supervisor: the open and the overdue cases. Everyone: the open
    discrepancies with the agency. Cases approved before approval registered them show while any
    remain. One query for the cases, one for the discrepancies (and one of the calendar).
    """
    from .reconciliation import open_discrepancies

    today = timezone.localdate()
    conditions = queue_conditions(user, today)
    counts = queue_counts(conditions, list(conditions))
    queue = reverse("enrollment:application_list")
    tiles: dict[str, dict] = {}

    def tile(name, label, tone="", query=None):
        tiles.setdefault(name, {"label": label, "count": counts[name], "tone": tone,
                                "url": f"{queue}?{query or f'queue={name}'}"})

    if has_role(user, *CLERKS):
        tile("mine", _("My open cases"))
        tile("due_soon", _("Due within 2 working days"), "warn")
    if has_role(user, *DECIDERS):
        tile("to_decide", decide_tab_label(user), "warn")
    if has_role(user, Role.SUPERVISOR):
        tile("open", _("Open cases"))
    tile("overdue", _("Overdue"), "danger")
    if counts["drafts"] and has_role(user, *CLERKS):
        tile("drafts", _("My drafts (not submitted)"))
    if counts["to_register"] and has_role(user, *CLERKS, *DECIDERS):
        tile("to_register", _("Approved, not yet in the register"), "danger", query="queue=all&status=APPROVED")
    tiles["discrepancies"] = {"label": _("Open discrepancies"), "count": open_discrepancies().count(), "tone": "",
                              "url": reverse("enrollment:discrepancy_list")}
    return {"tiles": list(tiles.values())}
