"""Applying an approved application to the register, through the register's own services.

check_applicable() is run at approval and again (under the same lock) at registration, so a
reviewer does not approve what can no longer be applied, and nothing is applied half-way: any
error raises and the whole transaction rolls back.
"""

from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from ...models import Application, Employer, InsuranceType, Person, PersonStatus, StatusChange
from .. import roster
from ..register import end_insurance, register_employer, register_person, update_person

Kind = Application.Kind
SOURCE = StatusChange.Source.APPLICATION


def check_applicable(app: Application) -> None:
    """Raise ValidationFailed when the register changed so that the application no longer fits."""
    if app.kind == Kind.EMPLOYER_REGISTRATION:
        if Employer.objects.filter(uscc=app.payload["uscc"]).exists():
            raise ValidationFailed(errors=[{"column": "uscc", "message": _(
                "An employer with this code is already registered.")}])
    elif app.kind == Kind.ADD_PERSONS:
        roster.check_still_new(app)
    elif app.kind == Kind.REMOVE_PERSONS:
        _persons_to_remove(app)
    elif app.kind == Kind.TRANSFER_IN:
        existing = Person.objects.filter(id_number=app.payload["id_number"]).first()
        if existing is not None and existing.status != PersonStatus.TERMINATED:
            raise ValidationFailed(errors=[{"column": "id_number", "message": _(
                "This person is already insured here: nothing to transfer in.")}])
    elif app.kind == Kind.TRANSFER_OUT and app.person.status == PersonStatus.TERMINATED:
        raise ValidationFailed(errors=[{"column": "person_id_number", "message": _(
            "This person's insurance has already ended.")}])


def apply_to_register(*, actor, application: Application) -> dict:
    """Make the change; return fields to store on the application (e.g. the new employer)."""
    check_applicable(application)
    return APPLIERS[application.kind](actor, application)


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


def _employer_registration(actor, app: Application) -> dict:
    p = app.payload
    employer = register_employer(
        actor=actor, uscc=p["uscc"], name=p["employer_name"], address=p.get("address", ""),
        contact_name=p.get("contact_name", ""), contact_phone=p.get("contact_phone", ""), schemes=p.get("schemes"),
        registered_on=app.effective_date or app.decided_at.date())
    return {"employer": employer}


def _add_persons(actor, app: Application) -> dict:
    roster.apply_roster(actor=actor, application=app)
    return {}


def _remove_persons(actor, app: Application) -> dict:
    end_insurance(actor=actor, persons=_persons_to_remove(app), status_date=app.effective_date, source=SOURCE,
                  reference=app.number)
    return {}


def _change_info(actor, app: Application) -> dict:
    update_person(actor=actor, person=app.person, changes=app.payload["changes"], source=SOURCE,
                  reference=app.number)
    return {}


def _transfer_in(actor, app: Application) -> dict:
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


def _transfer_out(actor, app: Application) -> dict:
    end_insurance(actor=actor, persons=list(Person.objects.select_for_update().filter(pk=app.person_id)),
                  status_date=app.effective_date, source=SOURCE, reference=app.number)
    return {}


APPLIERS = {
    Kind.EMPLOYER_REGISTRATION: _employer_registration,
    Kind.ADD_PERSONS: _add_persons,
    Kind.REMOVE_PERSONS: _remove_persons,
    Kind.CHANGE_INFO: _change_info,
    Kind.TRANSFER_IN: _transfer_in,
    Kind.TRANSFER_OUT: _transfer_out,
}
