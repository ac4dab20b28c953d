"""Add persons (增员): an employer's new staff, listed on a staff list, are insured from a date."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.errors import ValidationFailed

from ..models import Application
from ..services import roster
from .base import Errors, KindSpec, case_field, effective_date, text

KIND = Application.Kind.ADD_PERSONS
REQUIRED = frozenset({"employer_code", "effective_date"})


def form_fields() -> dict[str, forms.Field]:
    return {
        "employer_code": case_field("employer_code", REQUIRED),
        "effective_date": case_field("effective_date", REQUIRED, label=gettext_lazy("Insured from")),
        "note": forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False,
                                help_text=gettext_lazy("The staff list is uploaded on the case page.")),
    }


class AddPersonsPayload(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                 help_text="Free text; the staff list itself is uploaded to /roster/.")


def clean(payload: dict, errors: Errors, **_ctx) -> dict:
    return {"note": text(payload, "note", 500)} if payload.get("note") else {}


def before_review(app: Application) -> None:
    upload = roster.current_upload(app)
    if upload is None or not upload.is_valid or upload.row_count == 0:
        raise ValidationFailed(_("Upload a staff list without errors before the review."), code="roster_missing")


def check(app: Application) -> None:
    roster.check_still_new(app)


def apply(actor, app: Application) -> dict:
    roster.apply_roster(actor=actor, application=app)
    return {}


def outcome_lines(app: Application) -> list[str]:
    upload = roster.current_upload(app)
    if upload is None:  # nothing to say before the staff list is in
        return []
    return [_("%(n)d persons on the staff list are insured as staff of %(employer)s from %(date)s.")
            % {"n": upload.row_count, "employer": app.employer.name, "date": effective_date(app)}]


def persons_concerned(app: Application) -> list[tuple[str, str]]:
    upload = roster.current_upload(app)
    return [] if upload is None else list(upload.entries.order_by("line_no").values_list("name", "id_number"))


def demo(data) -> dict:
    employer = data.employer_of(data.person())
    return {"applicant_name": employer.contact_name or "经办人", "employer_code": employer.uscc,
            "effective_date": data.start}


SPEC = KindSpec(
    kind=KIND,
    checklist=("staff_roster", "id_copies", "labour_contracts"),
    time_limit=5,
    required=REQUIRED,
    form_fields=form_fields,
    clean=clean,
    payload_serializer=AddPersonsPayload,
    check=check,
    apply=apply,
    outcome_lines=outcome_lines,
    payload_template="enrollment/applications/kinds/add_persons.html",
    demo=demo,
    before_review=before_review,
    has_roster=True,
    persons_concerned=persons_concerned,
    started_from=frozenset({"employer", "person"}),
)
