"""The problem ledger's pages: the list (filters, counts per state, search, export) and a problem's
page with the moves its state allows the user (assign, deadline, rectification, close, reopen).
Staff who do not keep the ledger see the problems given to them, read-only (supervision.permissions).

Thin: the forms check shape, supervision.permissions checks who, supervision.services makes each
move through the transitions table. Closing asks for confirmation on a page of its own.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.exports import export_response
from core.roles import has_role
from core.system import staff_name
from core.timeline import object_timeline
from core.workflow import allowed_targets

from . import services
from .forms import AssignForm, CloseForm, DeadlineForm, ExportForm, RectifyForm, ReopenForm
from .models import Problem
from .permissions import access_ledger, access_problem
from .roles import SUPERVISORS
from .selectors import category_label, ledger_summary, problems_for_list, problems_visible_to, source_label

Status = Problem.Status
PAGE_SIZE = 50


def _row(p: Problem) -> dict:
    return {"obj": p, "source": source_label(p.source_app), "category": category_label(p.category),
            "assignee": staff_name(p.assignee), "overdue": p.is_overdue}


@require_GET
def problem_list(request):
    """The ledger; for a member of staff who does not keep it, the problems given to them."""
    access_ledger(request.user)
    summary = ledger_summary(problems=problems_visible_to(request.user))
    filterset = problems_for_list(request.GET, request, summary)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "supervision/problem_list.html", {
        "filter": filterset, "page_obj": page, "rows": [_row(p) for p in page.object_list],
        "counts": [(value, label, summary.by_status[value]) for value, label in Status.choices],
        "overdue_total": summary.overdue,
        "querystring_without_page": f"{params.urlencode()}&" if params else "",
        "export_query": params.urlencode(), "whole_ledger": has_role(request.user, *SUPERVISORS),
    })


@require_GET
def problem_export(request):
    access_ledger(request.user)
    form = ExportForm(request.GET)
    fmt = form.cleaned_data["format"] if form.is_valid() else "csv"
    filterset = problems_for_list(request.GET, request)
    headers = [_("No."), _("Raised on"), _("Source"), _("Kind of problem"), _("Title"), _("Severity"), _("State"),
               _("Assigned to"), _("Responsible unit"), _("Deadline"), _("Overdue"), _("Reports"),
               _("Rectification"), _("Closed on")]
    rows = ([p.pk, timezone.localtime(p.raised_at), source_label(p.source_app), category_label(p.category), p.title,
             p.get_severity_display(), p.get_status_display(), staff_name(p.assignee), p.responsible_unit,
             p.deadline or "", _("Yes") if p.is_overdue else _("No"), p.times_reported, p.rectification,
             timezone.localtime(p.closed_at) if p.closed_at else ""]
            for p in filterset.qs.iterator(chunk_size=2000))
    return export_response(fmt, filename=f"problems-{timezone.localdate():%Y%m%d}", headers=headers, rows=rows,
                           sheet_title=_("Problem ledger"))


def auto_id(name: str) -> str:
    """The ids of one move's form: several forms share a page (assign and the deadline both have a
    deadline), so each form's ids carry its move ("id_deadline_deadline"); the fields' names do not."""
    return f"id_{name}_%s"


def _forms(problem: Problem, user, **given) -> dict:
    """The forms of the moves this user may make now, keyed by action (a move the table does not
    allow from this state, or not to this user, has no form)."""
    targets = set(allowed_targets(problem, user))
    initial = {"version": problem.version}
    forms = {}
    if Status.RECTIFYING in targets:
        forms["assign"] = AssignForm(auto_id=auto_id("assign"), initial={
            **initial, "assignee": problem.assignee_id, "responsible_unit": problem.responsible_unit,
            "deadline": problem.deadline})
    if problem.status in targets:  # a move to the same state: a new deadline while it is being rectified
        forms["deadline"] = DeadlineForm(auto_id=auto_id("deadline"),
                                         initial={**initial, "deadline": problem.deadline})
    if Status.AWAITING_VERIFICATION in targets:
        forms["rectify"] = RectifyForm(auto_id=auto_id("rectify"), initial=initial)
    if Status.CLOSED in targets:
        forms["close"] = CloseForm(auto_id=auto_id("close"), initial=initial)
    if Status.REOPENED in targets:
        forms["reopen"] = ReopenForm(auto_id=auto_id("reopen"), initial=initial)
    forms.update({k: v for k, v in given.items() if k in forms})
    return forms


def _detail(request, problem: Problem, status: int = 200, **given):
    return render(request, "supervision/problem_detail.html", {
        "problem": problem, "source": source_label(problem.source_app), "category": category_label(problem.category),
        "assignee": staff_name(problem.assignee), "raised_by": staff_name(problem.raised_by),
        "timeline": object_timeline(problem), "forms": _forms(problem, request.user, **given),
        "whole_ledger": has_role(request.user, *SUPERVISORS),
        "assigned_to_me": problem.assignee_id is not None and problem.assignee_id == request.user.pk,
    }, status=status)


@require_GET
def problem_detail(request, pk):
    return _detail(request, access_problem(request.user, pk))


def _back(problem: Problem):
    return redirect(reverse("supervision:problem_detail", args=[problem.pk]))


def _refused(request, problem: Problem, exc: DomainError, form=None, name: str = ""):
    """Show a refusal: field errors on the form when the service named a field, else a message."""
    if form is not None and exc.errors:
        for error in exc.errors:
            field = error.get("field")
            form.add_error(field if field in form.fields else None, str(error["message"]))
        return _detail(request, access_problem(request.user, problem.pk), status=400, **{name: form})
    messages.error(request, str(exc.message))
    for error in exc.errors:
        messages.error(request, str(error["message"]))
    return _back(problem)


def _move(name: str, form_class, act):
    """A POST view for one move: check the form, let `act` call the service with the page's version
    and return what to tell the user, then go back to the problem's page."""

    @require_POST
    def view(request, pk):
        problem = access_problem(request.user, pk, "work")
        form = form_class(request.POST, auto_id=auto_id(name))
        if not form.is_valid():
            return _detail(request, problem, status=400, **{name: form})
        try:
            done = act(request.user, problem, form.cleaned_data)
        except DomainError as exc:
            return _refused(request, problem, exc, form, name)
        messages.success(request, done)
        return _back(problem)

    view.__name__ = f"problem_{name}"
    return view


def _assign(user, problem: Problem, data: dict) -> str:
    services.assign_problem(actor=user, problem=problem, assignee=data["assignee"],
                            responsible_unit=data["responsible_unit"], deadline=data["deadline"], note=data["note"],
                            expected_version=data["version"])
    whom = " · ".join(x for x in (staff_name(problem.assignee), problem.responsible_unit) if x)
    return _("Problem %(number)s was assigned to %(whom)s, to be rectified by %(deadline)s.") % {
        "number": problem.pk, "whom": whom, "deadline": problem.deadline.isoformat()}


def _set_deadline(user, problem: Problem, data: dict) -> str:
    services.set_problem_deadline(actor=user, problem=problem, deadline=data["deadline"], note=data["note"],
                                  expected_version=data["version"])
    return _("The deadline of problem %(number)s is now %(deadline)s.") % {
        "number": problem.pk, "deadline": problem.deadline.isoformat()}


def _rectify(user, problem: Problem, data: dict) -> str:
    services.record_rectification(actor=user, problem=problem, rectification=data["rectification"],
                                  expected_version=data["version"])
    return _("The rectification of problem %(number)s was recorded; it now awaits verification.") % {
        "number": problem.pk}


def _reopen(user, problem: Problem, data: dict) -> str:
    services.reopen_problem(actor=user, problem=problem, note=data["note"], expected_version=data["version"])
    return _("Problem %(number)s was reopened.") % {"number": problem.pk}


problem_assign = _move("assign", AssignForm, _assign)
problem_deadline = _move("deadline", DeadlineForm, _set_deadline)
problem_rectify = _move("rectify", RectifyForm, _rectify)
problem_reopen = _move("reopen", ReopenForm, _reopen)


@require_POST
def problem_close(request, pk):
    """Closing asks first: the form comes back on a page that says what closing means, and only the
    confirmed form closes the problem."""
    problem = access_problem(request.user, pk, "work")
    form = CloseForm(request.POST, auto_id=auto_id("close"))
    if not form.is_valid():
        return _detail(request, problem, status=400, close=form)
    if not form.cleaned_data["confirmed"]:
        return render(request, "supervision/problem_close_confirm.html", {"problem": problem, "form": form})
    try:
        services.close_problem(actor=request.user, problem=problem, note=form.cleaned_data["note"],
                               expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        return _refused(request, problem, exc, form, "close")
    messages.success(request, _("Problem %(number)s was closed.") % {"number": problem.pk})
    return _back(problem)
