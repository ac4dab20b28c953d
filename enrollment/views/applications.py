"""Pages of registration applications: the clerks' queue, intake, the case page and its actions.

Each view parses, authorizes (enrollment.permissions), calls one service and renders; a domain
error comes back as a message on the case page. The irreversible steps (approve, reject, apply to
the register) ask first: their form comes back on a confirmation page that says what the step will
do, and only the form posted from there with `confirmed` takes it.
"""

import re
from pathlib import PurePath

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, TooLarge, UnreadableFile, ValidationFailed
from core.exports import csv_response, export_response
from core.masking import mask_id_number
from core.roles import has_role, require_role
from core.views import letter_response

from .. import materials
from ..forms.applications import (
    ApplicationForm,
    ApproveForm,
    ConfirmForm,
    MaterialsForm,
    RejectForm,
    RosterForm,
    VersionForm,
)
from ..kinds import KINDS, shown_payload, spec_for
from ..models import Application
from ..models.applications import CLERKS
from ..permissions import (
    access_application,
    access_application_letter,
    access_roster_upload,
    can_reveal_id_number,
)
from ..roles import ENROLLMENT_STAFF
from ..selectors.applications import (
    ApplicationFilter,
    application_letters,
    applications_visible_to,
    current_roster,
    default_queue,
    next_steps,
    queue_order,
    with_time_left,
)
from ..selectors.register import masked_history
from ..services import applications as services
from ..services.roster import masked_roster, record_roster_download, upload_roster

Status = Application.Status
PAGE_SIZE = 25
ENTRIES_SHOWN = 200
PERSONS_SHOWN = 50  # on the confirmation of an approval


def _queue(request):
    require_role(request.user, *ENROLLMENT_STAFF)
    today = timezone.localdate()
    filterset = ApplicationFilter(request.GET or None, queryset=queue_order(applications_visible_to(request.user)),
                                  request=request, today=today, default=default_queue(request.user))
    return filterset, today


@require_GET
def application_list(request):
    filterset, today = _queue(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_time_left(page.object_list, today)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "enrollment/applications/list.html", {
        "filter": filterset, "page_obj": page, "today": today, "can_create": has_role(request.user, *CLERKS),
        "tabs": filterset.tab_counts(), "searching_everywhere": filterset.searching_everywhere,
        "found": page.paginator.count,
        "querystring_without_page": f"{params.urlencode()}&" if params else "",
        "export_query": params.urlencode(),
    })


@require_GET
def application_export(request):
    filterset, today = _queue(request)
    rows = with_time_left(filterset.qs, today)
    headers = [_("Case number"), _("Kind"), _("Status"), _("Applicant"), _("Employer"), _("Insured person"),
               _("Submitted"), _("Due date"), _("Working days left"), _("Taken in by")]
    return csv_response(filename=f"applications-{today:%Y%m%d}", headers=headers, rows=(
        [a.number, a.get_kind_display(), a.get_status_display(), a.applicant_name,
         a.employer.name if a.employer_id else "", _person_label(a),
         timezone.localtime(a.submitted_at) if a.submitted_at else "", a.due_date or "",
         _("Completed") if a.closed else ("" if a.days_left is None else a.days_left),
         a.created_by.get_username()] for a in rows))


def _person_label(app: Application) -> str:
    if app.person_id:
        return f"{app.person.name} ({mask_id_number(app.person.id_number)})"
    return spec_for(app.kind).named_person(app)


def application_create(request):
    require_role(request.user, *CLERKS)
    kind = request.GET.get("kind") or request.POST.get("kind")
    if kind not in KINDS:
        kinds = [(spec.kind, spec.label, materials.checklist(spec.kind), spec.time_limit) for spec in KINDS.values()]
        return render(request, "enrollment/applications/choose_kind.html", {"kinds": kinds})
    form = ApplicationForm(request.POST or None, kind=kind, query=request.GET)
    if request.method == "POST" and not form.is_valid():
        # Every error at once: what the form could read is checked by the service too.
        form.add_other_service_errors(services.application_data_errors(**form.data_arguments()))
    elif request.method == "POST":
        try:
            app = services.create_application(actor=request.user, **form.service_arguments())
        except ValidationFailed as exc:
            form.add_service_errors(exc.errors)
            if not exc.errors:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Case %(number)s was saved as a draft: submit it to take it in and start "
                                        "its time limit.") % {"number": app.number})
            return redirect("enrollment:application_detail", app.pk)
    return render(request, "enrollment/applications/create.html", {
        "form": form, "kind": kind, "kind_label": spec_for(kind).label, "time_limit": spec_for(kind).time_limit})


@require_GET
def application_detail(request, pk):
    app = access_application(request.user, pk)
    return render(request, "enrollment/applications/detail.html", _detail_context(request, app))


def _detail_context(request, app: Application, **forms) -> dict:
    user, today = request.user, timezone.localdate()
    with_time_left([app], today)
    items = list(app.materials.all())
    kind_spec = spec_for(app.kind)
    roster = current_roster(app) if kind_spec.has_roster else None
    context = {
        "app": app, "kind_spec": kind_spec, "payload": shown_payload(app.payload), "today": today,
        "items": [(m, materials.material_label(m.code), materials.what_to_bring(m.code)) for m in items],
        "can_edit": app.status in Application.EDITABLE_STATES and has_role(user, *CLERKS),
        "next": next_steps(app, user, items),
        "letters": list(application_letters(app)),
        "roster": roster,
        "roster_entries": list(roster.entries.all()[:ENTRIES_SHOWN]) if roster and roster.is_valid else [],
        "roster_uploads": list(app.roster_uploads.all()[:10]) if roster else [],
        "timeline": masked_history(app),
        "person_label": _person_label(app),
        "reasons": [materials.REJECTION_REASONS.get(r, r) for r in app.decision_reasons],
        "outcome": kind_spec.outcome_lines(app),
        "open_states": Application.OPEN_STATES,
    }
    context["materials_form"] = forms.get("materials_form") or MaterialsForm(
        items=items, initial={"version": app.version})
    context["roster_form"] = forms.get("roster_form") or RosterForm(initial={"version": app.version})
    context["approve_form"] = ApproveForm(initial={"version": app.version})
    context["reject_form"] = forms.get("reject_form") or RejectForm(initial={"version": app.version})
    return context


def _back(app_or_pk):
    pk = getattr(app_or_pk, "pk", app_or_pk)
    return redirect(reverse("enrollment:application_detail", args=[pk]))


_CODE = re.compile(r"[a-z][a-z0-9_]*")


def _error(request, exc: DomainError) -> None:
    messages.error(request, str(exc.message))
    for e in exc.errors:
        column = e.get("column") or ""
        if _CODE.fullmatch(column):  # a field's code ("id_number"): the message names the field itself
            column = ""
        where = " ".join(str(x) for x in (e.get("line") or e.get("row") or "", column) if x)
        messages.error(request, f"{where}: {e['message']}" if where else str(e["message"]))


@require_POST
def application_materials(request, pk):
    app = access_application(request.user, pk, "edit")
    form = MaterialsForm(request.POST, items=list(app.materials.all()))
    if not form.is_valid():
        messages.error(request, _("The checklist was not saved: check the marked items."))
        return render(request, "enrollment/applications/detail.html",
                      _detail_context(request, app, materials_form=form), status=400)
    try:
        services.tick_materials(actor=request.user, application=app, states=form.states(),
                                expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("The checklist was saved."))
    return _back(app)


@require_POST
def application_roster(request, pk):
    app = access_application(request.user, pk, "edit")
    form = RosterForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "enrollment/applications/detail.html",
                      _detail_context(request, app, roster_form=form), status=400)
    try:
        upload = upload_roster(actor=request.user, application=app, file=form.cleaned_data["file"],
                               expected_version=form.cleaned_data["version"])
    except (UnreadableFile, TooLarge) as exc:  # the file could not be read: say why on the form
        form.add_error("file", str(exc.message))
        return render(request, "enrollment/applications/detail.html",
                      _detail_context(request, app, roster_form=form), status=exc.status)
    except DomainError as exc:
        _error(request, exc)
    else:
        if upload.is_valid:
            messages.success(request, _("The staff list was read: %(n)d persons, no errors.") % {"n": upload.row_count})
        else:
            messages.error(request, _("The staff list has %(n)d errors; nothing was taken from it. The list of "
                                      "errors is below.") % {"n": upload.error_count})
    return _back(app)


def _move_view(action: str, service, confirm: bool = False):
    @require_POST
    def view(request, pk):
        app = access_application(request.user, pk)
        form = (ConfirmForm if confirm else VersionForm)(request.POST)
        if not form.is_valid():
            messages.error(request, _("The page was out of date. Reload it and try again."))
            return _back(app)
        if confirm and not form.cleaned_data["confirmed"]:
            return _confirm(request, app, action, form)
        try:
            result = service(actor=request.user, application=app, expected_version=form.cleaned_data["version"])
        except DomainError as exc:
            _error(request, exc)
            return _back(app)
        if action == "notice":
            messages.success(request, _("The one-time notice %(number)s was issued: print it for the applicant.")
                             % {"number": result.number})
        else:
            messages.success(request, _("Case %(number)s is now “%(status)s”.")
                             % {"number": app.number, "status": app.get_status_display()})
        return _back(app)

    view.__name__ = f"application_{action}"
    return view


def _confirm(request, app: Application, action: str, form):
    """The confirmation page of an irreversible step: what it will do, and the form again with `confirmed`.
    A step the user cannot take now is not asked about: the case page says why."""
    steps = next_steps(app, request.user, list(app.materials.all()))
    if action not in {step.action for step in steps.steps}:
        messages.error(request, steps.waiting or _("This step is not allowed from the current state."))
        return _back(app)
    spec = spec_for(app.kind)
    persons = spec.persons_concerned(app) if action in ("approve", "register") else []
    data = form.cleaned_data
    return render(request, "enrollment/applications/confirm.html", {
        "app": app, "action": action, "version": data["version"], "note": data.get("note", ""),
        "reasons": [(r, materials.REJECTION_REASONS[r]) for r in data.get("reasons", [])],
        "outcome": spec.outcome_lines(app) if action in ("approve", "register") else [],
        "persons": [(name, mask_id_number(number)) for name, number in persons[:PERSONS_SHOWN]],
        "more_persons": max(len(persons) - PERSONS_SHOWN, 0),
    })


application_submit = _move_view("submit", services.submit_application)
application_notice = _move_view("notice", services.issue_notice)
application_resubmit = _move_view("resubmit", services.resubmit_application)
application_review = _move_view("review", services.start_review)
application_register = _move_view("register", services.register_application, confirm=True)


@require_POST
def application_approve(request, pk):
    app = access_application(request.user, pk, "decide")
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date. Reload it and try again."))
        return _back(app)
    if not form.cleaned_data["confirmed"]:
        return _confirm(request, app, "approve", form)
    try:
        services.approve_application(actor=request.user, application=app, note=form.cleaned_data["note"],
                                     expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Case %(number)s was approved and applied to the register; the approval notice "
                                    "is ready to print.") % {"number": app.number})
    return _back(app)


@require_POST
def application_reject(request, pk):
    app = access_application(request.user, pk, "decide")
    form = RejectForm(request.POST)
    if not form.is_valid():
        return render(request, "enrollment/applications/detail.html",
                      _detail_context(request, app, reject_form=form), status=400)
    if not form.cleaned_data["confirmed"]:
        return _confirm(request, app, "reject", form)
    try:
        services.reject_application(actor=request.user, application=app, reasons=form.cleaned_data["reasons"],
                                    note=form.cleaned_data["note"], expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Case %(number)s was rejected; the decision letter is ready to print.")
                         % {"number": app.number})
    return _back(app)


@require_GET
def application_letter(request, pk, letter_pk):
    _app, letter = access_application_letter(request.user, pk, letter_pk)
    return letter_response(letter)


@require_GET
def application_roster_file(request, pk, upload_pk):
    """The staff list as uploaded, to a user who may see full identity numbers (audited); anyone else
    gets a copy with the numbers masked."""
    app, upload = access_roster_upload(request.user, pk, upload_pk)
    if can_reveal_id_number(request.user):
        record_roster_download(actor=request.user, application=app, upload=upload)
        return FileResponse(upload.file.open("rb"), as_attachment=True, filename=upload.original_name)
    fmt, header, rows = masked_roster(upload)
    stem = PurePath(upload.original_name).stem or "roster"
    return export_response(fmt, filename=f"{stem}-masked", headers=header, rows=rows,
                           sheet_title=str(_("Staff list")))
