"""The register's pages: person search, a person's page, employers and their staff, exports.

Identity numbers reach templates and exports masked only; the full number is shown through
reveal_id_number (permission-checked and audited). Access is checked by the selectors and the
access_* functions these views call.
"""

from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import PermissionDenied
from core.exports import export_response
from core.masking import mask_id_number
from core.paging import peek_page
from core.roles import has_role

from ..forms.fields import OFFERED
from ..forms.register import EmployerFilter, ExportForm, PersonSearchForm
from ..kinds import KINDS
from ..models import Employer, Person, PersonStatus
from ..models.applications import CLERKS
from ..models.register import Gender, InsuranceType
from ..permissions import access_employer, access_person, can_reveal_id_number
from ..selectors.register import (
    EMPLOYERS_LISTED,
    employer_matches_capped,
    employer_staff,
    employers_visible_to,
    masked_history,
    parse_person_query,
    partial_number_hidden,
    person_overview,
    search_employers,
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


def _labels() -> dict[str, dict[str, str]]:
    """The choice labels a list of persons shows, in the current language, looked up once per list."""
    return {field: {value: str(label) for value, label in choices} for field, choices in
            (("gender", Gender.choices), ("insurance_type", InsuranceType.choices), ("status", PersonStatus.choices))}


def person_row(person: Person, labels: dict | None = None) -> dict:
    """What a list shows of a person: the identity number masked, never the full one."""
    labels = labels or _labels()
    return {
        "pk": person.pk, "name": person.name, "id_number_masked": mask_id_number(person.id_number),
        "gender": labels["gender"].get(person.gender, person.gender), "birth_date": person.birth_date,
        "insurance_type": labels["insurance_type"].get(person.insurance_type, person.insurance_type),
        "employer_code": person.employer_code, "status": person.status,
        "status_label": labels["status"].get(person.status, person.status), "status_date": person.status_date,
    }


def person_rows(persons) -> list[dict]:
    """person_row for a page of persons, with each person's link and the dates written out here rather
    than by {% url %} and |date in the template, and the labels looked up once: a page of 50 renders in
    a third of the time (the search's page budget, bench/bench_search.py). The link is persons/<pk>/,
    reversed once."""
    base = reverse("enrollment:person_detail", args=[0]).removesuffix("0/")
    labels = _labels()
    return [{**person_row(p, labels), "url": f"{base}{p.pk}/",
             "birth_date_text": p.birth_date.isoformat() if p.birth_date else "",
             "status_date_text": p.status_date.isoformat() if p.status_date else ""} for p in persons]


def person_export_row(person: Person, labels: dict | None = None) -> tuple:
    row = person_row(person, labels)
    return (row["name"], row["id_number_masked"], row["gender"], row["birth_date"], row["insurance_type"],
            row["employer_code"], row["status_label"], row["status_date"])


def describe_query(parsed) -> str:
    """What kind of search the page did, in words (the page says it above the results)."""
    if parsed is None:
        return ""
    values = {"q": parsed.value, "name": parsed.name, "initials": parsed.initials}
    if parsed.kind == "name":
        return gettext("Names starting with “%(q)s”, then the names that have it further on") % values
    if parsed.kind == "initials":
        return gettext("Pinyin initials starting with “%(q)s”") % values
    if parsed.kind == "last_four":
        if parsed.name:
            return gettext("Identity numbers ending in “%(q)s”, with “%(name)s” in the name") % values
        if parsed.initials:
            return gettext("Identity numbers ending in “%(q)s”, with pinyin initials starting with “%(initials)s”"
                           ) % values
        return gettext("Identity numbers ending in “%(q)s”, then those starting with it") % values
    if parsed.name:
        return gettext("Identity number “%(q)s”, with “%(name)s” in the name") % values
    if parsed.initials:
        return gettext("Identity number “%(q)s”, with pinyin initials starting with “%(initials)s”") % values
    return gettext("Identity numbers starting with “%(q)s”") % values


def _search_text(request) -> str:
    form = PersonSearchForm(request.GET)
    return form.cleaned_data["q"] if form.is_valid() else ""


@require_GET
def person_search(request):
    form = PersonSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = peek_page(search_persons(user=request.user, query=query), request.GET.get("page"), PAGE_SIZE)
    parsed = parse_person_query(query)
    context = {"form": form, "query": query, "parsed": parsed, "search_kind": describe_query(parsed),
               "page_obj": page,
               "rows": person_rows(page),
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
        return " ".join(part for part in (mask_id_number(parsed.value), parsed.name, parsed.initials) if part)
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
    labels = _labels()
    rows = (person_export_row(p, labels) for p in persons.iterator(chunk_size=2000))
    return export_response(fmt, filename=f"persons-{timezone.localdate():%Y%m%d}", headers=PERSON_EXPORT_HEADERS,
                           rows=rows, sheet_title=str(_("Persons")))


def start_links(user, *, person: Person | None = None, employer: Employer | None = None) -> list[dict]:
    """The applications a clerk can start from a person's page (person given, with the person's
    employer if registered) or an employer's page, with what the register knows filled in: each
    kind that declares the page in KindSpec.started_from. A kind that needs an employer (增员, 减员)
    is not offered for a person without a registered one (a resident's insurance has none)."""
    if not has_role(user, *CLERKS):
        return []
    page = "person" if person is not None else "employer"
    links = []
    for spec in KINDS.values():
        if page not in spec.started_from:
            continue
        if "employer_code" in spec.required and employer is None:
            continue
        params = {"kind": spec.kind}
        if person is not None and spec.persons_field:
            params["person"] = person.pk
        if employer is not None:
            params["employer"] = employer.pk
        links.append({"kind": spec.kind, "label": spec.label,
                      "url": f"{reverse('enrollment:application_create')}?{urlencode(params)}",
                      "takes_staff": bool(spec.persons_field)})
    return links


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
        "start_links": start_links(request.user, person=person, employer=overview["employer"]),
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
    searched = filterset.is_bound and filterset.is_valid() and bool(filterset.form.cleaned_data.get("q"))
    base = reverse("enrollment:employer_detail", args=[0]).removesuffix("0/")  # as person_rows
    rows = [{"obj": e, "url": f"{base}{e.pk}/", "status_label": e.get_status_display(),
             "registered_on": e.registered_on.isoformat() if e.registered_on else "—"} for e in page]
    return render(request, "enrollment/register/employer_list.html", {
        "filter": filterset, "page_obj": page, "rows": rows, "statuses": Employer.Status.choices,
        "capped": searched and employer_matches_capped(page), "listed": EMPLOYERS_LISTED})


@require_GET
def employer_pick(request):
    """The employers whose name or credit code contains the text, as the options of the intake form's
    employer picker (forms.fields.EmployerPicker): at most OFFERED, and a word when there are more."""
    employers = employers_visible_to(request.user).only("id", "uscc", "name", "status")
    text = (request.GET.get("q") or "").strip()[:200]
    if not text:
        return HttpResponse("")
    found = list(search_employers(employers, text)[:OFFERED + 1])
    response = render(request, "enrollment/register/_employer_options.html",
                      {"employers": found[:OFFERED], "more": len(found) > OFFERED, "q": text})
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
def employer_detail(request, pk):
    employer = access_employer(request.user, pk)
    page = peek_page(employer_staff(employer), request.GET.get("page"), PAGE_SIZE)
    counts = staff_counts(employer)
    links = start_links(request.user, employer=employer)
    return render(request, "enrollment/register/employer_detail.html", {
        "employer": employer, "page_obj": page, "rows": person_rows(page),
        "start_links": links, "staff_kinds": [link for link in links if link["takes_staff"]],
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
    labels = _labels()
    rows = (person_export_row(p, labels) for p in employer_staff(employer).iterator(chunk_size=2000))
    return export_response(fmt, filename=f"staff-{employer.uscc}-{timezone.localdate():%Y%m%d}",
                           headers=PERSON_EXPORT_HEADERS, rows=rows, sheet_title=str(_("Staff")))
