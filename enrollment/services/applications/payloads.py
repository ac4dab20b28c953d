"""What an application must say, checked before it is stored.

check_application_data() looks up the employer and person by the codes typed at the window and
validates the payload with the kind's declaration (enrollment.kinds), collecting every problem at
once as {column, message} (and `line` for a list of identity numbers), so the clerk fixes them in
one pass. application_data_errors() is the same check returning the errors (nothing is written): the
intake page runs it on what its form could read even when the form has errors of its own, so that
every error is shown on the first try.
"""

from datetime import date

from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ...identity import IdentityError, check_id_number, check_uscc
from ...kinds import KINDS, Errors
from ...kinds.base import check_phone
from ...models import Employer, Person


def check_application_data(*, kind: str, applicant_name: str, applicant_phone: str, employer_code: str,
                           person_id_number: str, effective_date: date | None,
                           payload: dict) -> tuple[Employer | None, Person | None, dict]:
    """Return (employer, person, cleaned payload) or raise ValidationFailed with every error."""
    errors = Errors()
    if kind not in KINDS:
        errors.add("kind", _("Unknown kind of application."))
        raise ValidationFailed(errors=errors)
    spec = KINDS[kind]
    if not (applicant_name or "").strip():
        errors.add("applicant_name", _("Give the applicant's name."))
    check_phone(errors, "applicant_phone", (applicant_phone or "").strip())
    employer = _employer(employer_code, errors, required="employer_code" in spec.required)
    person = _person(person_id_number, errors, required="person_id_number" in spec.required)
    if "effective_date" in spec.required and effective_date is None:
        errors.add("effective_date", _("Give the date the change takes effect."))
    cleaned = spec.clean(payload if isinstance(payload, dict) else {}, errors, employer=employer, person=person)
    if errors:
        raise ValidationFailed(errors=errors)
    return employer, person, cleaned


def application_data_errors(**data) -> list[dict]:
    """Every error check_application_data finds in `data` (its keyword arguments), without raising."""
    try:
        check_application_data(**data)
    except ValidationFailed as exc:
        return list(exc.errors)
    return []


def _employer(code: str, errors: Errors, *, required: bool) -> Employer | None:
    code = (code or "").strip().upper()
    if not code:
        if required:
            errors.add("employer_code", _("Give the employer's unified social credit code."))
        return None
    try:
        code = check_uscc(code)
    except IdentityError as exc:
        errors.add("employer_code", str(exc))
        return None
    employer = Employer.objects.filter(uscc=code).first()
    if employer is None:
        errors.add("employer_code", _("No employer with this code is registered."))
    elif employer.status != Employer.Status.ACTIVE:
        errors.add("employer_code", _("This employer's registration is closed."))
    return employer


def _person(number: str, errors: Errors, *, required: bool) -> Person | None:
    number = (number or "").strip().upper()
    if not number:
        if required:
            errors.add("person_id_number", _("Give the insured person's identity number."))
        return None
    try:
        number = check_id_number(number)
    except IdentityError as exc:
        errors.add("person_id_number", str(exc))
        return None
    person = Person.objects.filter(id_number=number).first()
    if person is None:
        errors.add("person_id_number", _("Nobody with this identity number is in the register."))
    return person
