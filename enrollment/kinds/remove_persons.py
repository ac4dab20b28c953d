"""Remove persons (减员): the insurance of some of an employer's staff ends on a date."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.errors import ValidationFailed

from ..identity import IdentityError, check_id_number
from ..models import Application, Person, PersonStatus, StatusChange
from ..services.register import end_insurance
from .base import Errors, KindSpec, case_field, effective_date, text

KIND = Application.Kind.REMOVE_PERSONS
REQUIRED = frozenset({"employer_code", "effective_date"})


def form_fields() -> dict[str, forms.Field]:
    return {
        "employer_code": case_field("employer_code", REQUIRED),
        "id_numbers": forms.CharField(
            label=gettext_lazy("Identity numbers of the persons to remove"),
            widget=forms.Textarea(attrs={"rows": 4}), help_text=gettext_lazy("One per line.")),
        "reason": forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False),
        "effective_date": case_field("effective_date", REQUIRED, label=gettext_lazy("Insurance ends on")),
    }


class RemovePersonsPayload(serializers.Serializer):
    id_numbers = serializers.ListField(
        child=serializers.CharField(max_length=18), min_length=1,
        help_text="Identity numbers of the employer's staff to remove (a text with one per line is accepted too).")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


def clean(payload: dict, errors: Errors, *, employer, **_ctx) -> dict:
    raw = payload.get("id_numbers") or []
    if isinstance(raw, str):
        raw = raw.splitlines()
    lines = [(n, str(v).strip().upper()) for n, v in enumerate(raw, start=1) if str(v).strip()]
    if not lines:
        errors.add("id_numbers", _("List at least one identity number, one per line."))
        return {}
    numbers, seen = [], {}
    for line, value in lines:
        try:
            number = check_id_number(value)
        except IdentityError as exc:
            errors.add("id_numbers", str(exc), line=line)
            continue
        if number in seen:
            errors.add("id_numbers", _("Listed twice (first on line %(line)d).") % {"line": seen[number]}, line=line)
            continue
        seen[number] = line
        numbers.append(number)
    found = {p.id_number: p for p in Person.objects.filter(id_number__in=numbers)}
    for number in numbers:
        person, line = found.get(number), seen[number]
        if person is None:
            errors.add("id_numbers", _("Nobody with this identity number is in the register."), line=line)
        elif employer is not None and person.employer_code != employer.uscc:
            errors.add("id_numbers", _("This person is not on this employer's staff."), line=line)
        elif person.status == PersonStatus.TERMINATED:
            errors.add("id_numbers", _("This person's insurance has already ended."), line=line)
    return {"id_numbers": numbers, "reason": text(payload, "reason", 300)}


def _persons_to_remove(app: Application) -> list[Person]:
    numbers = app.payload["id_numbers"]
    persons = list(Person.objects.select_for_update().filter(id_number__in=numbers).order_by("id_number"))
    found = {p.id_number for p in persons}
    errors = [{"line": n, "column": "id_numbers", "message": _("Nobody with this identity number is in the register.")}
              for n, number in enumerate(numbers, start=1) if number not in found]
    errors += [{"line": numbers.index(p.id_number) + 1, "column": "id_numbers",
                "message": _("This person's insurance has already ended.")}
               for p in persons if p.status == PersonStatus.TERMINATED]
    if errors:
        raise ValidationFailed(errors=errors)
    return persons


def check(app: Application) -> None:
    _persons_to_remove(app)


def apply(actor, app: Application) -> dict:
    end_insurance(actor=actor, persons=_persons_to_remove(app), status_date=app.effective_date,
                  source=StatusChange.Source.APPLICATION, reference=app.number)
    return {}


def outcome_lines(app: Application) -> list[str]:
    return [_("The insurance of %(n)d persons of %(employer)s ends on %(date)s.")
            % {"n": len(app.payload.get("id_numbers", [])), "employer": app.employer.name,
               "date": effective_date(app)}]


def persons_concerned(app: Application) -> list[tuple[str, str]]:
    return list(Person.objects.filter(id_number__in=app.payload.get("id_numbers", []))
                .order_by("id_number").values_list("name", "id_number"))


def demo(data) -> dict:
    person = data.person()
    employer = data.employer_of(person)
    return {"applicant_name": employer.contact_name or "经办人", "employer_code": employer.uscc,
            "effective_date": data.start, "payload": {"id_numbers": [person.id_number], "reason": "劳动合同到期"}}


SPEC = KindSpec(
    kind=KIND,
    checklist=("removal_list", "termination_proof"),
    time_limit=5,
    required=REQUIRED,
    form_fields=form_fields,
    clean=clean,
    payload_serializer=RemovePersonsPayload,
    check=check,
    apply=apply,
    outcome_lines=outcome_lines,
    payload_template="enrollment/applications/kinds/remove_persons.html",
    demo=demo,
    persons_concerned=persons_concerned,
    started_from=frozenset({"employer", "person"}),
    persons_field="id_numbers",
)
