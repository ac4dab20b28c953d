"""Transfer out (转出): an insured person's insurance here ends on a date and moves elsewhere."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from ..models import Application, Person, PersonStatus, StatusChange
from ..services.register import end_insurance
from .base import Errors, KindSpec, case_field, effective_date, refuse, text

KIND = Application.Kind.TRANSFER_OUT
REQUIRED = frozenset({"person_id_number", "effective_date"})


def form_fields() -> dict[str, forms.Field]:
    return {
        "person_id_number": case_field("person_id_number", REQUIRED),
        "to_region": forms.CharField(label=gettext_lazy("Transferred to (place)"), max_length=100),
        "effective_date": case_field("effective_date", REQUIRED, label=gettext_lazy("Insurance here ends on")),
    }


class TransferOutPayload(serializers.Serializer):
    to_region = serializers.CharField(max_length=200, help_text="The place the insurance moves to.")


def clean(payload: dict, errors: Errors, *, person, **_ctx) -> dict:
    out = {"to_region": text(payload, "to_region")}
    if not out["to_region"]:
        errors.add("to_region", _("Give the place the insurance is transferred to."))
    if person is not None and person.status == PersonStatus.TERMINATED:
        errors.add("person_id_number", _("This person's insurance has already ended."))
    return out


def check(app: Application) -> None:
    if app.person.status == PersonStatus.TERMINATED:
        refuse("person_id_number", _("This person's insurance has already ended."))


def apply(actor, app: Application) -> dict:
    end_insurance(actor=actor, persons=list(Person.objects.select_for_update().filter(pk=app.person_id)),
                  status_date=app.effective_date, source=StatusChange.Source.APPLICATION, reference=app.number)
    return {}


def outcome_lines(app: Application) -> list[str]:
    return [_("The insurance is transferred out to %(place)s and ends here on %(date)s.")
            % {"place": app.payload.get("to_region", ""), "date": effective_date(app)}]


def demo(data) -> dict:
    person = data.person()
    return {"applicant_name": person.name, "person_id_number": person.id_number, "effective_date": data.start,
            "payload": {"to_region": data.region()}}


SPEC = KindSpec(
    kind=KIND,
    checklist=("transfer_form", "applicant_id", "transfer_letter"),
    time_limit=15,
    required=REQUIRED,
    form_fields=form_fields,
    clean=clean,
    payload_serializer=TransferOutPayload,
    check=check,
    apply=apply,
    outcome_lines=outcome_lines,
    payload_template="enrollment/applications/kinds/transfer_out.html",
    demo=demo,
)
