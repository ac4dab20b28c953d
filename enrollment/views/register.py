"""The register's pages: person search, a person's page, employers and their staff, exports.

Identity numbers reach templates and exports masked only; the full number is shown through
reveal_id_number (permission-checked and audited). Access is checked by the selectors and the
access_* functions these views call.
"""

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import PermissionDenied
from core.exports import export_response
from core.masking import mask_id_number
from core.paging import peek_page

from ..forms.register import EmployerFilter, ExportForm, PersonSearchForm
from ..models import Employer, Person, PersonStatus
from ..permissions import access_employer, access_person, can_reveal_id_number
from ..selectors.register import (
    employer_staff,
    employers_visible_to,
    masked_history,
    parse_person_query,
    partial_number_hidden,
    person_overview,
    search_persons,
    staff_counts,
)
from ..services.people import record_register_export, reveal_id_number
from .reconciliation import discrepancy_words

PAGE_SIZE = 50
PERSON_EXPORT_HEADERS = (_("Name"), _("Identity number (masked)"), _("Gender"), _("Birth date"),
                         _("Insurance type"), _("Employer code"), _("Status"), _("Status date"))


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def person_row(person: Person) -> dict:
    """What a list shows of a person: the identity number masked, never the full one."""
    return {
        "pk": person.pk, "name": person.name, "id_number_masked": mask_id_number(person.id_number),
        "gender": person.get_gender_display(), "birth_date": person.birth_date,
        "insurance_type": person.get_insurance_type_display(), "employer_code": person.employer_code,
        "status": person.status, "status_label": person.get_status_display(), "status_date": person.status_date,
    }


def person_export_row(person: Person) -> tuple:
    row = person_row(person)
    return (row["name"], row["id_number_masked"], row["gender"], row["birth_date"], row["insurance_type"],
            row["employer_code"], row["status_label"], row["status_date"])


def _search_text(request) -> str:
    form = PersonSearchForm(request.GET)
    return form.cleaned_data["q"] if form.is_valid() else ""


@require_GET
def person_search(request):
    form = PersonSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = peek_page(search_persons(user=request.user, query=query), request.GET.get("page"), PAGE_SIZE)
    parsed = parse_person_query(query)
    context = {"form": form, "query": query, "parsed": parsed, "page_obj": page,
               "rows": [person_row(p) for p in page],
               "whole_number_needed": partial_number_hidden(request.user, parsed)}
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        response = render(request, "enrollment/register/_person_results.html", context)
    else:
        response = render(request, "enrollment/register/person_search.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])  # the same URL answers a page or its results
    return response


def _export_format(request) -> str | None:
    form = ExportForm(request.GET)
    return form.cleaned_data["format"] if form.is_valid() else None


def _audited_query(query: str) -> str:
    """The search text as the export's audit entry keeps it: a long identity-number prefix masked."""
    parsed = parse_person_query(query)
    if parsed and parsed.kind == "id_number" and len(parsed.value) > 8:
        return mask_id_number(parsed.value)
    return query


@require_GET
def person_search_export(request):
    fmt = _export_format(request)
    if fmt is None:
        return HttpResponseBadRequest(_("Choose the export format: csv or xlsx."))
    query = _search_text(request)
    persons = search_persons(user=request.user, query=query)
    record_register_export(actor=request.user, scope="person_search", parameters={"query": _audited_query(query)},
                           fmt=fmt)
    rows = (person_export_row(p) for p in persons.iterator(chunk_size=2000))
    return export_response(fmt, filename=f"persons-{timezone.localdate():%Y%m%d}", headers=PERSON_EXPORT_HEADERS,
                           rows=rows, sheet_title=str(_("Persons")))


def _link(url_name: str, pk: int, fallback: str) -> str:
    try:
        return reverse(url_name, args=[pk])
    except NoReverseMatch:
        return fallback


def _render_person(request, person: Person, revealed: str = ""):
    overview = person_overview(person)
    applications = [{"obj": a, "url": _link("enrollment:application_detail", a.pk,
                                            f"/enrollment/applications/{a.pk}/")}
                    for a in overview["applications"]]
    discrepancies = [{"obj": d, "url": _link("enrollment:discrepancy_detail", d.pk,
                                             f"/enrollment/discrepancies/{d.pk}/"), **discrepancy_words(d)}
                     for d in overview["discrepancies"]]
    context = {
        "person": person, "id_number_masked": mask_id_number(person.id_number), "revealed": revealed,
        "can_reveal": can_reveal_id_number(request.user), **overview,
        "applications": applications, "discrepancies": discrepancies,
    }
    response = render(request, "enrollment/register/person_detail.html", context)
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


@require_GET
def person_detail(request, pk):
    return _render_person(request, access_person(request.user, pk))


@never_cache
@require_POST
def person_reveal_id_number(request, pk):
    """Show the full identity number to a holder of the permission; each view is audited."""
    try:
        person = access_person(request.user, pk, "reveal_id_number")
        number = reveal_id_number(actor=request.user, person=person)
    except PermissionDenied as exc:  # a 403 here, not the middleware's redirect back with a message
        return render(request, "error.html", {"error": exc}, status=exc.status)
    if _is_htmx(request):
        return render(request, "enrollment/register/_id_number.html", {"person": person, "revealed": number})
    return _render_person(request, person, revealed=number)


@require_GET
def employer_list(request):
    filterset = EmployerFilter(request.GET or None, queryset=employers_visible_to(request.user))
    page = peek_page(filterset.qs, request.GET.get("page"), PAGE_SIZE)
    return render(request, "enrollment/register/employer_list.html",
                  {"filter": filterset, "page_obj": page, "statuses": Employer.Status.choices})


@require_GET
def employer_detail(request, pk):
    employer = access_employer(request.user, pk)
    page = peek_page(employer_staff(employer), request.GET.get("page"), PAGE_SIZE)
    counts = staff_counts(employer)
    return render(request, "enrollment/register/employer_detail.html", {
        "employer": employer, "page_obj": page, "rows": [person_row(p) for p in page],
        "counts": counts, "status_counts": [(value, label, counts.get(value, 0)) for value, label in
                                            PersonStatus.choices],
        "scheme_labels": [Employer.Scheme(s).label for s in employer.schemes if s in Employer.Scheme.values],
        "history": masked_history(employer),
    })


@require_GET
def employer_staff_export(request, pk):
    fmt = _export_format(request)
    if fmt is None:
        return HttpResponseBadRequest(_("Choose the export format: csv or xlsx."))
    employer = access_employer(request.user, pk)
    record_register_export(actor=request.user, scope="employer_staff", parameters={"employer": employer.uscc},
                           fmt=fmt)
    rows = (person_export_row(p) for p in employer_staff(employer).iterator(chunk_size=2000))
    return export_response(fmt, filename=f"staff-{employer.uscc}-{timezone.localdate():%Y%m%d}",
                           headers=PERSON_EXPORT_HEADERS, rows=rows, sheet_title=str(_("Staff")))
