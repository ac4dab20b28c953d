"""The reconciliation pages: runs (trend chart, "reconcile now" with live status), discrepancies
(filtered list with bulk resolution, a discrepancy's page with its actions), the export of the
open ones for the agency, and the nightly report PDF.

Thin: the forms check shape, enrollment.permissions checks who, the selectors read, and every
write is a service of enrollment.services.reconciliation (a requested run, the resolutions, the
report, reporting back). No GET changes anything: the report is issued by the night (or by a
POST from the run's page), and the kept ones are marked reported back by an explicit POST that
answers with their file. Identity numbers reach pages masked; an export shows them in full only
to a holder of enrollment.view_full_id_number, and that export is audited.
"""

from datetime import date
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import Conflict, DomainError, NotFound, PermissionDenied
from core.exports import export_response
from core.masking import mask_id_number
from core.paging import peek_page
from core.system import is_system
from core.views import letter_response

from ..forms.reconciliation import (
    ACTION_LABELS,
    ACTION_PERMISSION,
    FIELD_LABELS,
    BulkResolveForm,
    DiscrepancyFilterForm,
    ResolveForm,
    RunStartForm,
)
from ..forms.register import ExportForm
from ..models import (
    Discrepancy,
    InsuranceType,
    Person,
    PersonStatus,
    ReconciliationAttempt,
    ReconciliationRun,
)
from ..models.register import Gender
from ..permissions import access_discrepancy, access_reconciliation, access_run, can_reveal_id_number
from ..reconciliation.extract import COLUMNS
from ..reconciliation.report import kept_report
from ..selectors.proposals import discrepancy_proposals
from ..selectors.reconciliation import (
    DiscrepancyState,
    discrepancies_for_list,
    discrepancy_state,
    kind_counts,
    previous_run,
    reason_text,
    reason_words,
    recent_runs,
    reconciliation_in_progress,
    run_attempts,
    runs_for_chart,
    shown_status,
)
from ..selectors.register import mask_numbers_in, masked_history
from ..services.reconciliation import (
    ACTIONS,
    issue_run_report,
    record_discrepancy_export,
    report_back,
    request_run,
    resolve_many,
)
from .reconciliation_chart import trend_chart

PAGE_SIZE = 50
CHART_RUNS = 60
Kind, Resolution, Status = Discrepancy.Kind, Discrepancy.Resolution, ReconciliationRun.Status
STATE_BADGES = {DiscrepancyState.OPEN: ("warn", gettext_lazy("Open")),
                DiscrepancyState.KEPT: ("", gettext_lazy("Ours kept")),
                DiscrepancyState.ESCALATED: ("danger", gettext_lazy("Escalated")),
                DiscrepancyState.CLOSED: ("ok", gettext_lazy("Closed"))}
RUN_BADGES = {Status.RUNNING: "warn", Status.SUCCEEDED: "ok", Status.REJECTED: "danger", Status.FAILED: "danger",
              Status.INTERRUPTED: "danger"}
EXPORT_HEADERS = (gettext_lazy("Kind"), gettext_lazy("Identity number"), gettext_lazy("Field"),
                  gettext_lazy("Our value"), gettext_lazy("Agency's value"), gettext_lazy("Reason"),
                  gettext_lazy("First seen"), gettext_lazy("Last seen"), gettext_lazy("Nights seen"),
                  gettext_lazy("Resolution"))
CODED = {"status": PersonStatus, "insurance_type": InsuranceType, "gender": Gender}
PHASES = {"ingest": gettext_lazy("Read the file (COPY)"), "match": gettext_lazy("Match lines with the register"),
          "diff": gettext_lazy("Compare"), "classify": gettext_lazy("Validate and classify"),
          "upsert": gettext_lazy("Update the discrepancies")}
HTMX_STOP_POLLING = 286  # htmx stops an `every 2s` trigger on this status (and still swaps the content)


def _shown(column: str, value):
    """A coded value as a page shows it: by its label (ACTIVE → 正常参保); a value that is no code of
    ours is data, shown as the agency wrote it."""
    choices = CODED.get(column)
    if choices is not None and value in choices.values:
        return choices(value).label
    return value


def _reasons(reason: str) -> list[tuple[str, str]]:
    """An invalid row's reasons as (column label, words): the column by its name on the page."""
    return [(FIELD_LABELS.get(column, _("Identity number") if column == "id_number" else column) if column else "",
             words) for column, words in reason_words(reason)]


def discrepancy_words(d: Discrepancy) -> dict:
    """A discrepancy's field, values and reasons as a page shows them (labels, numbers masked)."""
    return {"field": FIELD_LABELS.get(d.field, d.field), "reasons": _reasons(d.reason),
            "our_value": _shown(d.field or "status", mask_numbers_in(d.our_value)),
            "agency_value": _shown(d.field, mask_numbers_in(d.agency_value))}


def _may(user, action: str) -> bool:
    try:
        access_reconciliation(user, action)
    except PermissionDenied:
        return False
    return True


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _forbidden_is_403(view):
    """A refused POST answers 403 (not the middleware's redirect back with a message)."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return render(request, "error.html", {"error": exc}, status=exc.status)
    return wrapper


# --- runs ------------------------------------------------------------------------------------------

def _run_row(run: ReconciliationRun, in_progress: bool) -> dict:
    state = shown_status(run.status, in_progress)
    latest = getattr(run, "latest_try", None)
    return {"run": run, "state": state, "state_label": Status(state).label, "badge": RUN_BADGES.get(state, ""),
            "counts": kind_counts(run.counts), "duration": (run.timings or {}).get("total"),
            "latest_try": Status(shown_status(latest, in_progress)).label
            if latest and run.status == Status.SUCCEEDED and latest != Status.SUCCEEDED else None}


@require_GET
def run_list(request):
    access_reconciliation(request.user, "view")
    return _render_run_list(request, RunStartForm() if _may(request.user, "run") else None)


def _render_run_list(request, form, status=200):
    page = peek_page(recent_runs(), request.GET.get("page"), PAGE_SIZE)
    in_progress = reconciliation_in_progress()
    return render(request, "enrollment/reconciliation/run_list.html", {
        "page_obj": page, "rows": [_run_row(r, in_progress) for r in page],
        "chart": trend_chart(runs_for_chart(CHART_RUNS)), "kinds": Kind.choices, "form": form,
    }, status=status)


def _status_context(run: ReconciliationRun | None, attempt: ReconciliationAttempt | None, poll_url: str, *,
                    refresh_when_done: bool = False) -> dict:
    """The followed try's state: queued (no try yet), going on, or over (a killed one: interrupted)."""
    tried = attempt or run
    state = shown_status(tried.status, reconciliation_in_progress()) if tried else None
    finished = state is not None and state != Status.RUNNING
    succeeded = state == Status.SUCCEEDED
    counts = kind_counts(run.counts) if succeeded else {}
    return {"run": run, "attempt": tried, "state": state, "state_label": Status(state).label if state else "",
            "poll_url": poll_url, "polling": not finished, "refresh_when_done": refresh_when_done,
            "badge": RUN_BADGES.get(state, "") if state else "",
            "run_kept": finished and not succeeded and run is not None and run.status == Status.SUCCEEDED,
            "counts": [(kind, label, counts[kind]) for kind, label in Kind.choices] if succeeded else [],
            "elapsed": int((timezone.now() - tried.started_at).total_seconds()) if tried and tried.started_at
            else None}


def _status_partial(request, context: dict):
    """The polled part: 286 once the run is over (htmx stops), and a full reload where the page shows more."""
    status = context["status"]
    response = render(request, "enrollment/reconciliation/_run_status_inner.html", context,
                      status=200 if status["polling"] else HTMX_STOP_POLLING)
    if not status["polling"] and status["refresh_when_done"]:
        response["HX-Refresh"] = "true"
    return response


@require_GET
def run_detail(request, pk):
    run = access_run(request.user, pk)
    attempts = list(run_attempts(run))
    status = _status_context(run, attempts[0] if attempts else None, request.path, refresh_when_done=True)
    if _is_htmx(request):
        return _status_partial(request, {"status": status, "run_date": run.run_date})
    previous = previous_run(run)
    before = kind_counts(previous.counts) if previous else None
    counts = [{"kind": kind, "label": label, "n": kind_counts(run.counts)[kind],
               "before": before[kind] if before else None,
               "change": kind_counts(run.counts)[kind] - before[kind] if before else None}
              for kind, label in Kind.choices]
    recorded = {k: v for k, v in (run.timings or {}).items() if k not in ("total", "parsed_in_python")}
    timings = [(phase, PHASES.get(phase, _("Another step")), recorded[phase])
               for phase in sorted(recorded, key=lambda p: (list(PHASES).index(p) if p in PHASES else 99, p))]
    in_progress = reconciliation_in_progress()
    state = shown_status(run.status, in_progress)
    return render(request, "enrollment/reconciliation/run_detail.html", {
        "run": run, "state": state, "state_label": Status(state).label, "badge": RUN_BADGES.get(state, ""),
        "previous": previous, "counts": counts,
        "timings": timings, "total": (run.timings or {}).get("total"),
        "parsed_in_python": (run.timings or {}).get("parsed_in_python"), "status": status,
        "report": kept_report(run) if run.status != Status.RUNNING else None,
        "started_by": None if is_system(run.triggered_by) else run.triggered_by,
        "attempts": [{"a": a, "state_label": Status(shown_status(a.status, in_progress)).label,
                      "badge": RUN_BADGES.get(shown_status(a.status, in_progress), ""),
                      "by": None if is_system(a.triggered_by) else a.triggered_by} for a in attempts],
        "history": masked_history(run),
    })


@require_POST
@_forbidden_is_403
def run_start(request):
    """Reconcile an uploaded or dropped extract now: handed to the worker, watched on the progress page."""
    access_reconciliation(request.user, "run")
    form = RunStartForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_run_list(request, form, status=400)
    upload, run_date = form.cleaned_data["upload"], form.cleaned_data["run_date"]
    after = request_run(actor=request.user, run_date=run_date, upload=upload,
                        drop_path=None if upload else form.drop_path())
    messages.success(request, _("The reconciliation of %(date)s was handed to the worker.")
                     % {"date": run_date.isoformat()})
    return redirect(f"{reverse('enrollment:run_progress')}?{urlencode({'date': run_date, 'after': after})}")


@require_GET
def run_progress(request):
    """A requested try's status, polled every 2 s until it is over (RUNNING → SUCCEEDED/REJECTED/FAILED,
    or interrupted when its worker was killed)."""
    access_reconciliation(request.user, "view")
    try:
        run_date = date.fromisoformat(request.GET.get("date", ""))
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return HttpResponseBadRequest(_("A date (YYYY-MM-DD) and an attempt number are needed."))
    attempt = (ReconciliationAttempt.objects.select_related("run")
               .filter(run__run_date=run_date, number__gt=after).order_by("number").first())
    context = {"status": _status_context(attempt.run if attempt else None, attempt, request.get_full_path()),
               "run_date": run_date}
    if _is_htmx(request):
        return _status_partial(request, context)
    return render(request, "enrollment/reconciliation/run_progress.html", context)


@require_GET
def report_pdf(request, pk):
    """The run's kept report; a run still going on has none yet, an older one may need issuing."""
    run = access_run(request.user, pk)
    if run.status == Status.RUNNING:
        raise Conflict(_("The run has not finished yet: its report comes when it has."), code="run_not_finished")
    letter = kept_report(run)
    if letter is None:
        raise NotFound(_("No report has been issued for this run yet: issue it from the run's page."))
    return letter_response(letter)


@require_POST
def report_issue(request, pk):
    """Issue the run's report (the night issues it; this is for a run it has none for), then show it."""
    run = access_run(request.user, pk)
    issue_run_report(actor=request.user, run=run)
    return redirect("enrollment:report_pdf", pk=run.pk)


# --- discrepancies -------------------------------------------------------------------------------

def _discrepancy_row(d: Discrepancy, today: date) -> dict:
    state = discrepancy_state(d)
    badge, label = STATE_BADGES[state]
    return {
        "obj": d, "id_masked": mask_id_number(d.id_number), "field": FIELD_LABELS.get(d.field, d.field),
        "our_value": _shown(d.field or "status", mask_numbers_in(d.our_value)),
        "agency_value": _shown(d.field, mask_numbers_in(d.agency_value)),
        "reasons": _reasons(d.reason), "age": (today - d.first_seen).days, "state": state,
        "badge": badge, "state_label": label,
    }


def _allowed_actions(user) -> list[str]:
    return [action for action, permission in ACTION_PERMISSION.items() if _may(user, permission)]


def _filter_query(form: DiscrepancyFilterForm) -> str:
    return urlencode({k: v for k, v in form.filters().items()})


@require_GET
def discrepancy_list(request):
    access_reconciliation(request.user, "view")
    form = DiscrepancyFilterForm(request.GET)
    today = timezone.localdate()
    page = peek_page(discrepancies_for_list(**form.filters(), today=today).defer("agency_row"),
                     request.GET.get("page"), PAGE_SIZE)
    allowed = _allowed_actions(request.user)
    return render(request, "enrollment/reconciliation/discrepancy_list.html", {
        "form": form, "page_obj": page, "rows": [_discrepancy_row(d, today) for d in page],
        "bulk_form": BulkResolveForm(allowed=allowed) if allowed else None,
        "filter_query": _filter_query(form), "closed": form.filters()["state"] == DiscrepancyState.CLOSED,
        "full_numbers": can_reveal_id_number(request.user), "may_report_back": _may(request.user, "resolve"),
        "filter_items": [(k, v) for k, v in form.filters().items() if k != "state" and v not in (None, "")],
    })


def _back(request) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("enrollment:discrepancy_list")


def _failure_text(d: Discrepancy | None, pk: int, reason: str) -> str:
    if d is None:
        return _("Discrepancy #%(id)s: %(reason)s") % {"id": pk, "reason": reason}
    what = f"{d.get_kind_display()} {mask_id_number(d.id_number)} {d.get_field_display() if d.field else ''}".strip()
    return _("Discrepancy #%(id)s (%(what)s): %(reason)s") % {"id": pk, "what": what, "reason": reason}


@require_POST
@_forbidden_is_403
def discrepancy_bulk(request):
    """Resolve the ticked discrepancies one by one (resolve_many); say how many were done and why not the rest.
    Taking the agency's value changes the register: it shows the preview of a proposal instead."""
    access_reconciliation(request.user, "view")
    form = BulkResolveForm(request.POST)
    back = _back(request)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
    access_reconciliation(request.user, ACTION_PERMISSION[action])
    if action == Resolution.TAKE_AGENCY:  # a change to the register: previewed, then proposed for confirmation
        from .proposals import proposal_preview

        return proposal_preview(request, ids, form.cleaned_data["note"])
    found = {d.pk: d for d in Discrepancy.objects.filter(pk__in=ids).order_by("pk")}
    outcome = resolve_many(actor=request.user, discrepancies=list(found.values()), resolution=action,
                           note=form.cleaned_data["note"], expected_versions=ids)
    if outcome.done:
        messages.success(request, ngettext(
            "%(action)s: %(n)d discrepancy done.", "%(action)s: %(n)d discrepancies done.", len(outcome.done),
        ) % {"action": ACTION_LABELS[action], "n": len(outcome.done)})
    failures = [(pk, str(_("Not found."))) for pk in ids if pk not in found] + outcome.failed
    if failures:
        messages.error(request, ngettext("%(n)d could not be done:", "%(n)d could not be done:", len(failures))
                       % {"n": len(failures)})
        for pk, reason in sorted(failures):
            messages.error(request, _failure_text(found.get(pk), pk, reason))
    return redirect(back)


def _comparison(d: Discrepancy, person: Person | None) -> list[dict]:
    """Ours and the agency's, column by column, as the extract writes them (identity numbers masked).

    `mark` is "invalid" for a column the row's problems name, "differs" where the two disagree.
    """
    row = d.agency_row or {}
    problems = {column for column, _words in reason_words(d.reason)}
    ours = {}
    if person is not None:
        ours = {"id_number": person.id_number, "name": person.name, "gender": person.gender,
                "birth_date": person.birth_date.isoformat(), "insurance_type": person.insurance_type,
                "employer_code": person.employer_code, "status": person.status,
                "status_date": person.status_date.isoformat(),
                "paid_through": person.paid_through.strftime("%Y-%m") if person.paid_through else ""}
    out = []
    for column in COLUMNS:
        mine, theirs = ours.get(column), row.get(column)
        differs = column == d.field or (bool(ours) and bool(row) and (mine or "") != (theirs or ""))
        if column == "id_number":
            mine, theirs = mask_id_number(mine or ""), mask_id_number(theirs or "")
        out.append({"column": column, "label": FIELD_LABELS.get(column, _("Identity number")),
                    "ours": _shown(column, mine), "theirs": _shown(column, theirs),
                    "mark": "invalid" if column in problems else ("differs" if differs else "")})
    return out


def _detail_actions(user, d: Discrepancy) -> list[tuple[str, str]]:
    if d.closed_on is not None:
        return []
    allowed = _allowed_actions(user)
    shown = []
    if Resolution.TAKE_AGENCY in allowed and d.kind in (Kind.MISSING_LOCAL, Kind.FIELD_MISMATCH):
        shown.append(Resolution.TAKE_AGENCY)
    if Resolution.KEEP_OURS in allowed and d.resolution != Resolution.KEEP_OURS:
        shown.append(Resolution.KEEP_OURS)
    if Resolution.ESCALATED in allowed and d.resolution != Resolution.ESCALATED:
        shown.append(Resolution.ESCALATED)
    return [(action, ACTION_LABELS[action]) for action in shown]


@require_GET
def discrepancy_detail(request, pk):
    d = access_discrepancy(request.user, pk, "view")
    person = Person.objects.filter(id_number=d.id_number.upper()).first()
    state = discrepancy_state(d)
    return render(request, "enrollment/reconciliation/discrepancy_detail.html", {
        "d": d, "id_masked": mask_id_number(d.id_number), "person": person, "comparison": _comparison(d, person),
        "field_label": FIELD_LABELS.get(d.field, d.field), "reasons": _reasons(d.reason),
        "our_value": _shown(d.field or "status", mask_numbers_in(d.our_value)),
        "agency_value": _shown(d.field, mask_numbers_in(d.agency_value)),
        "state": state, "badge": STATE_BADGES[state][0], "state_label": STATE_BADGES[state][1],
        "actions": _detail_actions(request.user, d), "history": masked_history(d),
        "proposals": list(discrepancy_proposals(d)),
        "line_no": (d.agency_row or {}).get("line", d.line_no),
    })


@require_POST
@_forbidden_is_403
def discrepancy_resolve(request, pk):
    """One discrepancy's action from its page, refused if it changed since the page was shown (taking the
    agency's value: the preview of a proposal)."""
    d = access_discrepancy(request.user, pk, "view")
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return redirect("enrollment:discrepancy_detail", pk=d.pk)
    action = form.cleaned_data["action"]
    access_reconciliation(request.user, ACTION_PERMISSION[action])
    if action == Resolution.TAKE_AGENCY:  # a change to the register: previewed, then proposed for confirmation
        from .proposals import proposal_preview

        return proposal_preview(request, {d.pk: form.cleaned_data["version"]}, form.cleaned_data["note"],
                                back=reverse("enrollment:discrepancy_detail", args=[d.pk]))
    try:
        ACTIONS[action](actor=request.user, discrepancy=d, note=form.cleaned_data["note"],
                        expected_version=form.cleaned_data["version"])
    except PermissionDenied:
        raise
    except DomainError as exc:
        details = "; ".join(str(e.get("message", "")) for e in exc.errors)
        messages.error(request, f"{exc.message} {details}".strip())
    else:
        messages.success(request, _("%(action)s: done.") % {"action": ACTION_LABELS[action]})
    return redirect("enrollment:discrepancy_detail", pk=d.pk)


# --- the export for the agency ---------------------------------------------------------------------

def _export_row(d: Discrepancy, full: bool) -> tuple:
    return (d.get_kind_display(), d.id_number if full else mask_id_number(d.id_number),
            d.field, mask_numbers_in(d.our_value) if not full else d.our_value,
            mask_numbers_in(d.agency_value) if not full else d.agency_value, reason_text(d.reason),
            d.first_seen, d.last_seen, d.nights_seen, d.get_resolution_display())


def _export(data, *, kept_only: bool):
    """Parse the export's format and the list's filters from `data`: (format, filters, queryset), or a 400."""
    export = ExportForm(data)
    if not export.is_valid():
        return None
    filters = DiscrepancyFilterForm(data).filters()
    if kept_only:
        filters["state"] = DiscrepancyState.KEPT
    queryset = discrepancies_for_list(**filters).filter(closed_on__isnull=True).defer("agency_row")
    return export.cleaned_data["format"], filters, queryset


def _export_response(request, fmt: str, filters: dict, queryset, *, count: int | None = None):
    full = can_reveal_id_number(request.user)
    if full:
        audited = {k: (mask_id_number(v) if k == "id_prefix" and len(v) > 8 else v) for k, v in filters.items()}
        record_discrepancy_export(actor=request.user, count=queryset.count() if count is None else count, fmt=fmt,
                                  filters=audited)
    rows = (_export_row(d, full) for d in queryset.iterator(chunk_size=2000))
    return export_response(fmt, filename=f"discrepancies-{timezone.localdate():%Y%m%d}",
                           headers=[str(h) for h in EXPORT_HEADERS], rows=rows,
                           sheet_title=str(_("Discrepancies")))


@require_GET
def discrepancy_export(request):
    """The open discrepancies, filtered like the list, as CSV or XLSX (changes nothing)."""
    access_reconciliation(request.user, "view")
    parsed = _export(request.GET, kept_only=False)
    if parsed is None:
        return HttpResponseBadRequest(_("Choose the export format: csv or xlsx."))
    return _export_response(request, *parsed)


@require_POST
@_forbidden_is_403
def discrepancy_report_back(request):
    """Report the kept ones (filtered like the list) back to the agency: mark them reported back
    today and answer with their file, the one the agency gets."""
    access_reconciliation(request.user, "resolve")
    parsed = _export(request.POST, kept_only=True)
    if parsed is None:
        return HttpResponseBadRequest(_("Choose the export format: csv or xlsx."))
    fmt, filters, queryset = parsed
    ids = report_back(actor=request.user, discrepancies=queryset)
    return _export_response(request, fmt, filters, queryset, count=len(ids))
