"""Eligibility's pages: the catalogue, registrations, a person's benefits, the policies side by side.

Reading is for the office's staff (eligibility.permissions); reference data is edited by
administrators in the admin. Views parse, authorize, call a selector or one service, render.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.masking import mask_id_number
from core.paging import peek_page
from core.timeline import object_timeline
from core.workflow import allowed_targets

from .calculation import LEVELS, VISIT_TYPES
from .forms import CatalogueSearchForm, RegistrationFilter
from .models import Registration, VisitType
from .permissions import (
    access_eligibility,
    access_person_benefits,
    access_registration,
    can_edit_reference_data,
)
from .registration_kinds import KINDS
from .selectors.benefits import person_benefits
from .selectors.policies import policy_versions
from .selectors.registrations import referral_window, state_on
from .services.registrations import revoke_registration

PAGE_SIZE = 50


@require_GET
def catalogue(request):
    access_eligibility(request.user)
    form = CatalogueSearchForm(request.GET or None)
    page = peek_page(form.items(), request.GET.get("page"), PAGE_SIZE)
    return render(request, "eligibility/catalogue.html", {
        "form": form, "page_obj": page, "can_edit": can_edit_reference_data(request.user)})


@require_GET
def registration_list(request):
    access_eligibility(request.user)
    filterset = RegistrationFilter(request.GET or None)
    page = peek_page(filterset.qs, request.GET.get("page"), PAGE_SIZE)
    today = timezone.localdate()
    rows = [{"obj": r, "state": state_on(r, today), "id_number_masked": mask_id_number(r.person.id_number)}
            for r in page]
    return render(request, "eligibility/registration_list.html", {
        "filter": filterset, "page_obj": page, "rows": rows, "states": dict(RegistrationFilter.STATES)})


@require_GET
def registration_detail(request, pk):
    registration = access_registration(request.user, pk)
    return render(request, "eligibility/registration_detail.html", {
        "registration": registration, "rules": KINDS[registration.kind],
        "id_number_masked": mask_id_number(registration.person.id_number),
        "state": state_on(registration, timezone.localdate()), "states": dict(RegistrationFilter.STATES),
        "window": referral_window(registration) if registration.kind == Registration.Kind.REFERRAL else None,
        "versions": registration.versions.select_related("changed_by").order_by("-version"),
        "can_revoke": Registration.Status.REVOKED in allowed_targets(registration, request.user),
        "history": object_timeline(registration),
    })


@require_POST
def registration_revoke(request, pk):
    registration = access_registration(request.user, pk, "revoke")
    reason = request.POST.get("reason", "").strip()[:200]
    if not reason:
        messages.error(request, _("Give the reason for revoking the registration."))
    else:
        revoke_registration(actor=request.user, registration=registration, reason=reason)
        messages.success(request, _("The registration was revoked."))
    return redirect("eligibility:registration_detail", pk=registration.pk)


@require_GET
def person_detail(request, pk):
    person = access_person_benefits(request.user, pk)
    today = timezone.localdate()
    return render(request, "eligibility/person_benefits.html", {
        "person": person, "today": today, "states": dict(RegistrationFilter.STATES),
        **person_benefits(person, today)})


@require_GET
def policies(request):
    access_eligibility(request.user)
    by_type: dict[str, list] = {}
    for version in policy_versions():
        by_type.setdefault(version.get_insurance_type_display(), []).append(version)
    tables = [{"insurance_type": label, "versions": versions, "rates": _rate_rows(versions)}
              for label, versions in by_type.items()]
    return render(request, "eligibility/policies.html", {
        "tables": tables, "can_edit": can_edit_reference_data(request.user)})


def _rate_rows(versions) -> list[dict]:
    """One row per visit type and level: each version's deductible and ratio, side by side."""
    rates = [{(r.visit_type, r.hospital_level): r for r in v.rates.all()} for v in versions]
    return [{"label": VisitType(visit_type).label, "level": level,
             "cells": [table.get((visit_type, level)) for table in rates]}
            for visit_type in VISIT_TYPES for level in LEVELS]
