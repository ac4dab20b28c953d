"""The shape of a kind's declaration (KindSpec) and the small pieces the declarations share: the
error list the validation fills, the common checks, and the intake form's case fields."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from core.errors import ValidationFailed
from core.masking import mask_id_number
from core.widgets import DateInput

from ..forms.fields import EmployerCodeField
from ..identity import IdentityError, check_id_number
from ..identity import check_phone as checked_phone
from ..models import Application

# The case's own fields (columns of Application, not of its payload), as the form and the API name them.
CASE_FIELDS = ("employer_code", "person_id_number", "effective_date")


class Errors(list):
    """Every problem of an intake at once, as {column, message[, line]}."""

    def add(self, column: str, message: str, **extra) -> None:
        self.append({"column": column, "message": message, **extra})


def _nothing(app: Application) -> str:
    return ""


def _no_check(app: Application) -> None:
    return None


def _same(payload: dict) -> dict:
    return payload


def _the_employer_or_applicant(app: Application) -> str:
    return app.employer.name if app.employer_id else app.applicant_name


def _the_person(app: Application) -> list[tuple[str, str]]:
    return [(app.person.name, app.person.id_number)] if app.person_id else []


@dataclass(frozen=True)
class KindSpec:
    """Everything one kind of registration application does differently from the others.

    The services, forms, pages, letters and the API read it through enrollment.kinds.spec_for();
    nothing else decides by the kind. Hooks receive the application (or its payload) and never
    the kind: a hook that is the same for most kinds has a default here.
    """

    kind: str  # a member of Application.Kind
    checklist: tuple[str, ...]  # codes of enrollment.materials.MATERIALS, in the checklist's order
    time_limit: int  # working days (限时办结), counted from submission and again from resubmission
    required: frozenset[str]  # the case fields (CASE_FIELDS) that must be given at intake
    # The intake form's fields, in their order: case fields (see case_field) and the payload's.
    form_fields: Callable[[], dict[str, forms.Field]]
    # clean(payload, errors, *, employer, person) -> the payload to store; adds every problem to errors.
    clean: Callable[..., dict]
    payload_serializer: type[serializers.Serializer]  # the payload's shape, documented in the API schema
    # Raise ValidationFailed when the register no longer allows the change (at approval and registration).
    check: Callable[[Application], None]
    apply: Callable[[Any, Application], dict]  # apply(actor, app): change the register; fields to store on app
    outcome_lines: Callable[[Application], list[str]]  # what approval changes, in words: letter and case page
    payload_template: str  # the case page's section that shows the payload
    demo: Callable[[Any], dict]  # create_application's arguments for a demo case (enrollment's demo seed)
    form_payload: Callable[[dict], dict] = _same  # the payload from the form's payload fields
    named_employer: Callable[[Application], str] = _nothing  # the employer the payload names, before registration
    named_person: Callable[[Application], str] = _nothing  # the person the payload names, before registration
    before_review: Callable[[Application], None] = _no_check  # raise when the review may not start yet
    has_roster: bool = False  # takes a staff list (增员花名册)
    # Whom the case's letters greet ("某某单位："): the employer the case is about, else the applicant.
    addressee: Callable[[Application], str] = _the_employer_or_applicant
    # The persons the case concerns, as (name, identity number): listed (masked) on the approval letter.
    persons_concerned: Callable[[Application], list[tuple[str, str]]] = _the_person
    # Started from a person's or an employer's page with what is known filled in (the intake page's
    # ?kind=…&person=…&employer=…): the pages that offer it ("person", "employer"), and the intake
    # form field that takes the chosen persons' identity numbers ("" for none; a Textarea takes several).
    started_from: frozenset[str] = frozenset()
    persons_field: str = ""

    @property
    def label(self) -> str:
        return str(Application.Kind(self.kind).label)


# -- validation shared by several kinds ----------------------------------------------------------

def text(payload: dict, key: str, limit: int = 200) -> str:
    return str(payload.get(key) or "").strip()[:limit]


def check_phone(errors: Errors, column: str, value: str) -> None:
    """A mainland telephone number, if one is given (enrollment.identity.check_phone)."""
    if value:
        try:
            checked_phone(value)
        except IdentityError as exc:
            errors.add(column, str(exc))


def check_name(errors: Errors, column: str, value: str) -> None:
    if any(ch.isdigit() for ch in value):
        errors.add(column, _("A name cannot contain digits."))


def id_number(errors: Errors, column: str, value: str) -> str:
    """The identity number checked and normalised, or the value as given after adding the error."""
    try:
        return check_id_number(value)
    except IdentityError as exc:
        errors.add(column, str(exc))
        return value


def refuse(column: str, message: str) -> None:
    raise ValidationFailed(errors=[{"column": column, "message": message}])


def effective_date(app: Application) -> str:
    return app.effective_date.isoformat() if isinstance(app.effective_date, date) else ""


def shown_payload(payload: dict) -> dict:
    """The payload as pages and the API show it: identity numbers masked."""
    shown = dict(payload)
    if "id_numbers" in shown:
        shown["id_numbers"] = [mask_id_number(n) for n in shown["id_numbers"]]
    if "id_number" in shown:
        shown["id_number"] = mask_id_number(shown["id_number"])
    return shown


# -- the intake form's case fields ---------------------------------------------------------------

def case_field(name: str, required: frozenset[str], *, label: Promise | None = None,
               help_text: Promise | str = "") -> forms.Field:
    """A case field of the intake form, required when the kind's `required` names it."""
    needed = name in required
    if name == "employer_code":  # picked from a list of employers as the clerk types (forms.fields)
        return EmployerCodeField(label=label or gettext_lazy("Employer"), required=needed,
                                 **({"help_text": help_text} if help_text else {}))
    if name == "person_id_number":
        return forms.CharField(label=label or gettext_lazy("Insured person's identity number"), max_length=18,
                               required=needed, help_text=help_text)
    if name == "effective_date":
        return forms.DateField(label=label or gettext_lazy("Effective date"), required=needed, help_text=help_text,
                               widget=DateInput())
    raise ValueError(f"{name!r} is not a case field ({', '.join(CASE_FIELDS)}).")
