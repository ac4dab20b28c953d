"""Employer registration (单位参保登记): a new employer is registered for medical insurance."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from ..identity import IdentityError, check_uscc
from ..models import Application, Employer
from ..services.register import register_employer
from .base import Errors, KindSpec, case_field, check_phone, refuse, text

KIND = Application.Kind.EMPLOYER_REGISTRATION
REQUIRED = frozenset()


def form_fields() -> dict[str, forms.Field]:
    return {
        "uscc": forms.CharField(label=gettext_lazy("Unified social credit code"), max_length=18),
        "employer_name": forms.CharField(label=gettext_lazy("Employer's name"), max_length=200),
        "address": forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False),
        "contact_name": forms.CharField(label=gettext_lazy("Contact person"), max_length=50, required=False),
        "contact_phone": forms.CharField(label=gettext_lazy("Contact phone"), max_length=30, required=False),
        "schemes": forms.MultipleChoiceField(
            label=gettext_lazy("Insurance schemes"), choices=Employer.Scheme.choices,
            widget=forms.CheckboxSelectMultiple, initial=[Employer.Scheme.BASIC]),
        "effective_date": case_field("effective_date", REQUIRED, label=gettext_lazy("Registered from")),
    }


class EmployerRegistrationPayload(serializers.Serializer):
    uscc = serializers.CharField(help_text="The new employer's unified social credit code (18 characters).")
    employer_name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    schemes = serializers.ListField(child=serializers.ChoiceField(choices=Employer.Scheme.choices), required=False,
                                    help_text="Insurance schemes; BASIC when omitted.")


def clean(payload: dict, errors: Errors, **_ctx) -> dict:
    out = {k: text(payload, k) for k in ("uscc", "employer_name", "address", "contact_name", "contact_phone")}
    try:
        out["uscc"] = check_uscc(out["uscc"])
    except IdentityError as exc:
        errors.add("uscc", str(exc))
    else:
        if Employer.objects.filter(uscc=out["uscc"]).exists():
            errors.add("uscc", _("An employer with this code is already registered."))
        elif Application.objects.filter(kind=KIND, status__in=Application.OPEN_STATES,
                                        payload__uscc=out["uscc"]).exists():
            errors.add("uscc", _("Another open application already registers this employer."))
    if not out["employer_name"]:
        errors.add("employer_name", _("Give the employer's name."))
    check_phone(errors, "contact_phone", out["contact_phone"])
    schemes = [s for s in payload.get("schemes") or [Employer.Scheme.BASIC] if s]
    unknown = [s for s in schemes if s not in Employer.Scheme.values]
    if unknown:
        errors.add("schemes", _("Unknown insurance scheme: %(s)s") % {"s": ", ".join(map(str, unknown))})
    out["schemes"] = [str(s) for s in schemes]
    return out


def check(app: Application) -> None:
    if Employer.objects.filter(uscc=app.payload["uscc"]).exists():
        refuse("uscc", _("An employer with this code is already registered."))


def apply(actor, app: Application) -> dict:
    p = app.payload
    employer = register_employer(
        actor=actor, uscc=p["uscc"], name=p["employer_name"], address=p.get("address", ""),
        contact_name=p.get("contact_name", ""), contact_phone=p.get("contact_phone", ""), schemes=p.get("schemes"),
        registered_on=app.effective_date or app.decided_at.date())
    return {"employer": employer}


def outcome_lines(app: Application) -> list[str]:
    return [_("The employer %(name)s (%(uscc)s) is registered for medical insurance.")
            % {"name": app.payload.get("employer_name", ""), "uscc": app.payload.get("uscc", "")}]


def named_employer(app: Application) -> str:
    return f"{app.payload.get('employer_name', '')} ({app.payload.get('uscc', '')})"


def addressee(app: Application) -> str:
    return app.payload.get("employer_name", "") or app.applicant_name


def demo(data) -> dict:
    e = data.new_employer()
    return {"applicant_name": e["contact_name"], "effective_date": data.start, "payload": {
        "uscc": e["uscc"], "employer_name": e["name"], "address": e["address"], "contact_name": e["contact_name"],
        "contact_phone": e["contact_phone"], "schemes": ["BASIC", "MATERNITY"]}}


SPEC = KindSpec(
    kind=KIND,
    checklist=("employer_form", "business_licence", "legal_rep_id", "bank_account"),
    time_limit=5,
    required=REQUIRED,
    form_fields=form_fields,
    clean=clean,
    payload_serializer=EmployerRegistrationPayload,
    check=check,
    apply=apply,
    outcome_lines=outcome_lines,
    payload_template="enrollment/applications/kinds/employer_registration.html",
    demo=demo,
    named_employer=named_employer,
    addressee=addressee,
)
