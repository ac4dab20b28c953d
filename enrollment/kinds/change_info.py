"""Change of personal information (信息变更): an insured person's name, phone or address."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from ..models import Application, StatusChange
from ..services.register import update_person
from .base import Errors, KindSpec, case_field, check_name, check_phone

KIND = Application.Kind.CHANGE_INFO
REQUIRED = frozenset({"person_id_number"})
CHANGEABLE = ("name", "phone", "address")


def form_fields() -> dict[str, forms.Field]:
    return {
        "person_id_number": case_field("person_id_number", REQUIRED),
        "new_name": forms.CharField(label=gettext_lazy("New name"), max_length=50, required=False),
        "new_phone": forms.CharField(label=gettext_lazy("New phone"), max_length=30, required=False),
        "new_address": forms.CharField(label=gettext_lazy("New address"), max_length=300, required=False),
    }


def form_payload(fields: dict) -> dict:
    return {"changes": {key: fields.get(f"new_{key}", "") for key in CHANGEABLE}}


class ChangeInfoChanges(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ChangeInfoPayload(serializers.Serializer):
    changes = ChangeInfoChanges(help_text="The new values; at least one must differ from the register.")


def clean(payload: dict, errors: Errors, *, person, **_ctx) -> dict:
    given = payload.get("changes") or {}
    changes = {k: str(given.get(k) or "").strip() for k in CHANGEABLE if str(given.get(k) or "").strip()}
    if person is not None:
        changes = {k: v for k, v in changes.items() if v != getattr(person, k)}
    if not changes:
        errors.add("changes", _("Give at least one new value that differs from the register."))
    check_name(errors, "new_name", changes.get("name", ""))
    check_phone(errors, "new_phone", changes.get("phone", ""))
    return {"changes": changes}


def check(app: Application) -> None:
    """Nothing in the register can stand in the way of a change of information."""


def apply(actor, app: Application) -> dict:
    update_person(actor=actor, person=app.person, changes=app.payload["changes"],
                  source=StatusChange.Source.APPLICATION, reference=app.number)
    return {}


def outcome_lines(app: Application) -> list[str]:
    labels = {"name": _("name"), "phone": _("phone"), "address": _("address")}
    return [_("The %(field)s is changed to “%(value)s”.") % {"field": labels[k], "value": v}
            for k, v in app.payload.get("changes", {}).items()]


def demo(data) -> dict:
    person = data.person()
    return {"applicant_name": person.name, "person_id_number": person.id_number,
            "payload": {"changes": {"phone": data.phone("158")}}}


SPEC = KindSpec(
    kind=KIND,
    checklist=("change_form", "applicant_id", "change_evidence"),
    time_limit=3,
    required=REQUIRED,
    form_fields=form_fields,
    form_payload=form_payload,
    clean=clean,
    payload_serializer=ChangeInfoPayload,
    check=check,
    apply=apply,
    outcome_lines=outcome_lines,
    payload_template="enrollment/applications/kinds/change_info.html",
    demo=demo,
    started_from=frozenset({"person"}),
    persons_field="person_id_number",
)
