"""What each kind of application must say, checked before it is stored.

check_application_data() looks up the employer and person by the codes typed at the window and
validates the kind's payload, collecting every problem at once as {column, message} (and
`line` for a list of identity numbers), so the clerk fixes them in one pass.
"""

import re
from datetime import date

from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ...identity import IdentityError, check_id_number, check_uscc
from ...models import Application, Employer, Person, PersonStatus

Kind = Application.Kind
OPEN = Application.OPEN_STATES
PHONE = re.compile(r"^[0-9+()\- ]{5,30}$")
CHANGEABLE = ("name", "phone", "address")


class _Errors(list):
    def add(self, column: str, message: str, **extra) -> None:
        self.append({"column": column, "message": message, **extra})


def check_application_data(*, kind: str, applicant_name: str, applicant_phone: str, employer_code: str,
                           person_id_number: str, effective_date: date | None,
                           payload: dict) -> tuple[Employer | None, Person | None, dict]:
    """Return (employer, person, cleaned payload) or raise ValidationFailed with every error."""
    errors = _Errors()
    if kind not in Kind.values:
        errors.add("kind", _("Unknown kind of application."))
        raise ValidationFailed(errors=errors)
    if not (applicant_name or "").strip():
        errors.add("applicant_name", _("Give the applicant's name."))
    if applicant_phone and not PHONE.match(applicant_phone.strip()):
        errors.add("applicant_phone", _("A phone number has digits, spaces, +, - and brackets only."))
    needs = NEEDS[kind]
    employer = _employer(employer_code, errors, required="employer" in needs)
    person = _person(person_id_number, errors, required="person" in needs)
    if "effective_date" in needs and effective_date is None:
        errors.add("effective_date", _("Give the date the change takes effect."))
    cleaned = CLEANERS[kind](payload or {}, errors, employer=employer, person=person)
    if errors:
        raise ValidationFailed(errors=errors)
    return employer, person, cleaned


def _employer(code: str, errors: _Errors, *, required: bool) -> Employer | None:
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


def _person(number: str, errors: _Errors, *, required: bool) -> Person | None:
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


def _text(payload: dict, key: str, limit: int = 200) -> str:
    return str(payload.get(key) or "").strip()[:limit]


def _employer_registration(payload, errors, **_ctx) -> dict:
    out = {k: _text(payload, k) for k in ("uscc", "employer_name", "address", "contact_name", "contact_phone")}
    try:
        out["uscc"] = check_uscc(out["uscc"])
    except IdentityError as exc:
        errors.add("uscc", str(exc))
    else:
        if Employer.objects.filter(uscc=out["uscc"]).exists():
            errors.add("uscc", _("An employer with this code is already registered."))
        elif Application.objects.filter(kind=Kind.EMPLOYER_REGISTRATION, status__in=OPEN,
                                        payload__uscc=out["uscc"]).exists():
            errors.add("uscc", _("Another open application already registers this employer."))
    if not out["employer_name"]:
        errors.add("employer_name", _("Give the employer's name."))
    if out["contact_phone"] and not PHONE.match(out["contact_phone"]):
        errors.add("contact_phone", _("A phone number has digits, spaces, +, - and brackets only."))
    schemes = [s for s in payload.get("schemes") or [Employer.Scheme.BASIC] if s]
    unknown = [s for s in schemes if s not in Employer.Scheme.values]
    if unknown:
        errors.add("schemes", _("Unknown insurance scheme: %(s)s") % {"s": ", ".join(map(str, unknown))})
    out["schemes"] = [str(s) for s in schemes]
    return out


def _add_persons(payload, errors, **_ctx) -> dict:
    return {"note": _text(payload, "note", 500)} if payload.get("note") else {}


def _remove_persons(payload, errors, *, employer, **_ctx) -> dict:
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
    return {"id_numbers": numbers, "reason": _text(payload, "reason", 300)}


def _change_info(payload, errors, *, person, **_ctx) -> dict:
    given = payload.get("changes") or {}
    changes = {k: str(given.get(k) or "").strip() for k in CHANGEABLE if str(given.get(k) or "").strip()}
    if person is not None:
        changes = {k: v for k, v in changes.items() if v != getattr(person, k)}
    if not changes:
        errors.add("changes", _("Give at least one new value that differs from the register."))
    name = changes.get("name", "")
    if name and any(ch.isdigit() for ch in name):
        errors.add("new_name", _("A name cannot contain digits."))
    if changes.get("phone") and not PHONE.match(changes["phone"]):
        errors.add("new_phone", _("A phone number has digits, spaces, +, - and brackets only."))
    return {"changes": changes}


def _transfer_in(payload, errors, **_ctx) -> dict:
    out = {k: _text(payload, k) for k in ("id_number", "name", "phone", "from_region")}
    try:
        out["id_number"] = check_id_number(out["id_number"])
    except IdentityError as exc:
        errors.add("id_number", str(exc))
    else:
        person = Person.objects.filter(id_number=out["id_number"]).first()
        if person is not None and person.status != PersonStatus.TERMINATED:
            errors.add("id_number", _("This person is already insured here: nothing to transfer in."))
    if not out["name"]:
        errors.add("name", _("The name is empty."))
    elif any(ch.isdigit() for ch in out["name"]):
        errors.add("name", _("A name cannot contain digits."))
    if not out["from_region"]:
        errors.add("from_region", _("Give the place the insurance is transferred from."))
    return out


def _transfer_out(payload, errors, *, person, **_ctx) -> dict:
    out = {"to_region": _text(payload, "to_region")}
    if not out["to_region"]:
        errors.add("to_region", _("Give the place the insurance is transferred to."))
    if person is not None and person.status == PersonStatus.TERMINATED:
        errors.add("person_id_number", _("This person's insurance has already ended."))
    return out


# What each kind needs besides its payload.
NEEDS = {
    Kind.EMPLOYER_REGISTRATION: (),
    Kind.ADD_PERSONS: ("employer", "effective_date"),
    Kind.REMOVE_PERSONS: ("employer", "effective_date"),
    Kind.CHANGE_INFO: ("person",),
    Kind.TRANSFER_IN: ("effective_date",),
    Kind.TRANSFER_OUT: ("person", "effective_date"),
}
CLEANERS = {
    Kind.EMPLOYER_REGISTRATION: _employer_registration,
    Kind.ADD_PERSONS: _add_persons,
    Kind.REMOVE_PERSONS: _remove_persons,
    Kind.CHANGE_INFO: _change_info,
    Kind.TRANSFER_IN: _transfer_in,
    Kind.TRANSFER_OUT: _transfer_out,
}
