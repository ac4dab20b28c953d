"""Transfer in (转入): a person insured elsewhere is insured here from a date (as staff of an employer
here, or as a resident when no employer is given)."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.masking import mask_id_number

from ..models import Application, InsuranceType, Person, PersonStatus, StatusChange
from ..services.register import register_person, update_person
from .base import (
    Errors,
    KindSpec,
    case_field,
    check_name,
    check_phone,
    effective_date,
    id_number,
    refuse,
    text,
)

KIND = Application.Kind.TRANSFER_IN
REQUIRED = frozenset({"effective_date"})
SOURCE = StatusChange.Source.APPLICATION


def form_fields() -> dict[str, forms.Field]:
    return {
        "id_number": forms.CharField(label=gettext_lazy("Identity number"), max_length=18),
        "name": forms.CharField(label=gettext_lazy("Name"), max_length=50),
        "phone": forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False),
        "from_region": forms.CharField(label=gettext_lazy("Transferred from (place)"), max_length=100),
        "employer_code": case_field("employer_code", REQUIRED, help_text=gettext_lazy(
            "Leave empty for a resident (城乡居民) transferring in.")),
        "effective_date": case_field("effective_date", REQUIRED, label=gettext_lazy("Insured here from")),
    }


class TransferInPayload(serializers.Serializer):
    id_number = serializers.CharField(max_length=18, help_text="The person's identity number.")
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    from_region = serializers.CharField(max_length=200, help_text="The place the insurance comes from.")


def _already_insured(number: str) -> bool:
    return Person.objects.filter(id_number=number).exclude(status=PersonStatus.TERMINATED).exists()


def clean(payload: dict, errors: Errors, **_ctx) -> dict:
    out = {k: text(payload, k) for k in ("id_number", "name", "phone", "from_region")}
    before = len(errors)
    out["id_number"] = id_number(errors, "id_number", out["id_number"])
    if len(errors) == before and _already_insured(out["id_number"]):
        errors.add("id_number", _("This person is already insured here: nothing to transfer in."))
    if not out["name"]:
        errors.add("name", _("The name is empty."))
    else:
        check_name(errors, "name", out["name"])
    check_phone(errors, "phone", out["phone"])
    if not out["from_region"]:
        errors.add("from_region", _("Give the place the insurance is transferred from."))
    return out


def check(app: Application) -> None:
    if _already_insured(app.payload["id_number"]):
        refuse("id_number", _("This person is already insured here: nothing to transfer in."))


def apply(actor, app: Application) -> dict:
    p = app.payload
    employer_code = app.employer.uscc if app.employer_id else ""
    insurance_type = InsuranceType.EMP if employer_code else InsuranceType.RES
    existing = Person.objects.filter(id_number=p["id_number"]).first()
    if existing is not None:  # insured here before and left: insured here again
        person = update_person(actor=actor, person=existing, source=SOURCE, reference=app.number, changes={
            "name": p["name"], "insurance_type": insurance_type, "employer_code": employer_code,
            "status": PersonStatus.ACTIVE, "status_date": app.effective_date, "phone": p.get("phone", "")})
    else:
        person = register_person(
            actor=actor, id_number=p["id_number"], name=p["name"], insurance_type=insurance_type,
            employer_code=employer_code, status=PersonStatus.ACTIVE, status_date=app.effective_date,
            phone=p.get("phone", ""), source=SOURCE, reference=app.number)
    return {"person": person}


def outcome_lines(app: Application) -> list[str]:
    return [_("The insurance is transferred in from %(place)s and starts here on %(date)s.")
            % {"place": app.payload.get("from_region", ""), "date": effective_date(app)}]


def named_person(app: Application) -> str:
    return f"{app.payload.get('name', '')} ({mask_id_number(app.payload.get('id_number', ''))})"


def persons_concerned(app: Application) -> list[tuple[str, str]]:
    return [(app.payload.get("name", ""), app.payload.get("id_number", ""))]


def demo(data) -> dict:
    return {"applicant_name": data.person_name(), "effective_date": data.start, "payload": {
        "id_number": data.new_id_numbers(1)[0], "name": data.person_name(), "phone": data.phone("137"),
        "from_region": data.region()}}


SPEC = KindSpec(
    kind=KIND,
    checklist=("transfer_form", "applicant_id", "transfer_certificate"),
    time_limit=15,
    required=REQUIRED,
    form_fields=form_fields,
    clean=clean,
    payload_serializer=TransferInPayload,
    check=check,
    apply=apply,
    outcome_lines=outcome_lines,
    payload_template="enrollment/applications/kinds/transfer_in.html",
    demo=demo,
    named_person=named_person,
    persons_concerned=persons_concerned,
)
