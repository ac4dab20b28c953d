"""Writes to the register: persons, their status history, employers. Audited, transactional."""

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record, record_many
from core.errors import ConcurrentEdit, ValidationFailed

from ..identity import (
    IdentityError,
    birth_date_of,
    check_id_number,
    check_phone,
    check_uscc,
    gender_of,
    pinyin_initials,
)
from ..models import Employer, InsuranceType, Person, PersonStatus, StatusChange

PERSON_FIELDS = ("name", "insurance_type", "employer_code", "status", "status_date", "paid_through", "phone",
                 "address")


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def person_snapshot(person: Person, fields=PERSON_FIELDS) -> dict:
    return {f: _plain(getattr(person, f)) for f in fields}


def _validate_person_values(values: dict, birth_date: date) -> None:
    """The register holds only rows the agency's extract format would accept (spec/agency-extract.md):
    the nightly comparison relies on it to take a line equal to ours as valid."""
    errors = []
    name = (values.get("name") or "").strip()
    if not name:
        errors.append({"column": "name", "message": _("The name is empty.")})
    elif any(ch.isdigit() for ch in name):
        errors.append({"column": "name", "message": _("A name cannot contain digits.")})
    itype = values.get("insurance_type")
    if itype not in InsuranceType.values:
        errors.append({"column": "insurance_type", "message": _("Unknown insurance type.")})
    code = values.get("employer_code") or ""
    if itype == InsuranceType.EMP:
        try:
            check_uscc(code)
        except IdentityError as exc:
            errors.append({"column": "employer_code", "message": str(exc)})
    elif code:
        errors.append({"column": "employer_code", "message": _("A resident (RES) person has no employer.")})
    if values.get("status") not in PersonStatus.values:
        errors.append({"column": "status", "message": _("Unknown status.")})
    status_date = values.get("status_date")
    if isinstance(status_date, str):
        status_date = date.fromisoformat(status_date)
    if status_date and status_date < birth_date:
        errors.append({"column": "status_date", "message": _("The status cannot take effect before the birth date.")})
    if errors:
        raise ValidationFailed(errors=errors)


def _checked_phone(phone: str) -> str:
    """A phone given to the register, checked (enrollment.identity.check_phone); empty stays empty."""
    if not (phone or "").strip():
        return ""
    try:
        return check_phone(phone)
    except IdentityError as exc:
        raise ValidationFailed(errors=[{"column": "phone", "message": str(exc)}])


def new_person(id_number: str, values: dict) -> Person:
    """A person to add to the register (not saved), checked as every new entry is. Raises ValidationFailed."""
    try:
        number = check_id_number(id_number)
    except IdentityError as exc:
        raise ValidationFailed(errors=[{"column": "id_number", "message": str(exc)}])
    if birth_date_of(number) > timezone.localdate():
        raise ValidationFailed(errors=[{"column": "id_number",
                                        "message": _("The birth date in the identity number is in the future.")}])
    values = {**values, "name": (values.get("name") or "").strip(),
              "employer_code": (values.get("employer_code") or "").upper(),
              "phone": _checked_phone(values.get("phone", ""))}
    _validate_person_values(values, birth_date_of(number))
    return Person(id_number=number, gender=gender_of(number), birth_date=birth_date_of(number),
                  name_initials=pinyin_initials(values["name"]), **values)


def record_status_change(*, person: Person, status: str, status_date: date, source: str, reference: str = "",
                         actor=None) -> bool:
    """Add a status to the person's history unless the same fact is already there. True if added."""
    _obj, created = StatusChange.objects.get_or_create(
        person=person, status=status, status_date=status_date,
        defaults={"source": source, "reference": reference, "recorded_by": actor},
    )
    return created


@transaction.atomic
def register_person(*, actor, id_number: str, name: str, insurance_type: str, status: str, status_date: date,
                    employer_code: str = "", paid_through: date | None = None, phone: str = "", address: str = "",
                    source: str = StatusChange.Source.APPLICATION, reference: str = "") -> Person:
    """Put a new person in the register with their first status."""
    person = new_person(id_number, dict(
        name=name, insurance_type=insurance_type, employer_code=employer_code, status=status,
        status_date=status_date, paid_through=paid_through, phone=phone, address=address))
    if Person.objects.filter(id_number=person.id_number).exists():
        raise ValidationFailed(_("A person with this identity number is already in the register."),
                               code="duplicate_person")
    person.save(force_insert=True)
    record_status_change(person=person, status=status, status_date=status_date, source=source, reference=reference,
                         actor=actor)
    record(actor, "enrollment.person.registered", person, None,
           {**person_snapshot(person), "source": source, "reference": reference})
    return person


@transaction.atomic
def update_person(*, actor, person: Person, changes: dict, expected_version: int | None = None,
                  source: str = StatusChange.Source.MANUAL, reference: str = "") -> Person:
    """Change a person's register entry. With expected_version, refuse if someone else changed it first."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit()
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if changes.get("phone"):
        changes = {**changes, "phone": _checked_phone(changes["phone"])}
    values = {**person_snapshot(locked), **changes}
    _validate_person_values(values, locked.birth_date)
    changed = [f for f in changes if _plain(getattr(locked, f)) != _plain(changes[f])]
    if not changed:
        return locked
    before = person_snapshot(locked, changed)
    for field in changed:
        setattr(locked, field, changes[field])
    update_fields = [*changed, "version", "updated_at"]
    if "name" in changed:
        locked.name_initials = pinyin_initials(locked.name)
        update_fields.append("name_initials")
    locked.version += 1
    locked.save(update_fields=update_fields)
    if "status" in changed or "status_date" in changed:
        record_status_change(person=locked, status=locked.status, status_date=locked.status_date, source=source,
                             reference=reference, actor=actor)
    record(actor, "enrollment.person.changed", locked, before,
           {**person_snapshot(locked, changed), "source": source, "reference": reference})
    person.__dict__.update({f: getattr(locked, f) for f in update_fields})
    return locked


def check_change(person: Person, changes: dict) -> None:
    """Raise ValidationFailed unless `person` with `changes` applied is an entry the register accepts."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    _validate_person_values({**person_snapshot(person), **changes}, person.birth_date)


def register_persons(*, actor, entries: dict[str, dict], source: str, reference: str = "") -> list[Person]:
    """Put many new persons in the register at once (a confirmed register change): `entries` maps
    each identity number to the values register_person takes. Each is checked as register_person
    checks it, every error collected (with its identity number); then one INSERT of the persons,
    one of their first status, one of their audit entries, whatever their number. Runs in the
    caller's transaction. Returns the persons added."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("register_persons runs inside the transaction of the change")
    persons, errors = [], []
    for id_number, values in entries.items():
        try:
            persons.append(new_person(id_number, values))
        except ValidationFailed as exc:
            errors += [{**e, "id_number": id_number} for e in exc.errors]
    there = set(Person.objects.filter(id_number__in=[p.id_number for p in persons]).values_list("id_number",
                                                                                                 flat=True))
    errors += [{"column": "id_number", "id_number": number,
                "message": _("A person with this identity number is already in the register.")} for number in there]
    if errors:
        raise ValidationFailed(errors=errors)
    Person.objects.bulk_create(persons, batch_size=2000)
    StatusChange.objects.bulk_create([
        StatusChange(person=p, status=p.status, status_date=p.status_date, source=source, reference=reference,
                     recorded_by=actor) for p in persons], batch_size=2000)
    record_many(actor, "enrollment.person.registered", [
        (p, None, {**person_snapshot(p), "source": source, "reference": reference}) for p in persons])
    return persons


def change_persons(*, actor, changes: dict[Person, dict], source: str, reference: str = "") -> int:
    """Change fields of many persons at once (a confirmed register change): `changes` maps each
    person, locked by the caller (select_for_update) in its transaction, to field -> new value.
    Each person's new entry is checked as update_person checks it, every error collected; then
    one UPDATE of the persons, their new statuses in one INSERT, one audit entry each in one
    INSERT. Returns how many persons changed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("change_persons runs inside the transaction of the change")
    errors, changed, fields = [], [], {"version", "updated_at", "name_initials"}
    for person, values in changes.items():
        try:
            check_change(person, values)
        except ValidationFailed as exc:
            errors += [{**e, "id_number": person.id_number} for e in exc.errors]
            continue
        names = [f for f in values if _plain(getattr(person, f)) != _plain(values[f])]
        if names:
            changed.append((person, names, person_snapshot(person, names)))
    if errors:
        raise ValidationFailed(errors=errors)
    now = timezone.now()
    for person, names, _before in changed:
        for name in names:
            setattr(person, name, changes[person][name])
        person.name_initials = pinyin_initials(person.name)
        person.version, person.updated_at = person.version + 1, now
        fields.update(names)
    Person.objects.bulk_update([p for p, _n, _b in changed], sorted(fields), batch_size=2000)
    StatusChange.objects.bulk_create([
        StatusChange(person=p, status=p.status, status_date=p.status_date, source=source, reference=reference,
                     recorded_by=actor) for p, names, _b in changed if {"status", "status_date"} & set(names)],
        batch_size=2000, ignore_conflicts=True)
    record_many(actor, "enrollment.person.changed", [
        (p, before, {**person_snapshot(p, names), "source": source, "reference": reference})
        for p, names, before in changed])
    return len(changed)


def end_insurance(*, actor, persons: list[Person], status_date: date, source: str, reference: str = "") -> int:
    """End the insurance of many persons at once (removing persons 减员, transferring out 转出):
    one UPDATE of their status, their history rows in one INSERT, one audit entry each in one
    INSERT, whatever their number. The caller has locked the persons (select_for_update) in its
    transaction. Returns how many changed (one already ended on that date is left alone)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("end_insurance runs inside the transaction of the change")
    errors = [{"column": "status_date", "message": _("The status cannot take effect before the birth date."),
               "id_number": p.id_number} for p in persons if status_date < p.birth_date]
    if errors:
        raise ValidationFailed(errors=errors)
    status = PersonStatus.TERMINATED
    changed = [p for p in persons if (p.status, p.status_date) != (status, status_date)]
    if not changed:
        return 0
    fields = ("status", "status_date")
    before = {p.pk: person_snapshot(p, fields) for p in changed}
    now = timezone.now()
    Person.objects.filter(pk__in=[p.pk for p in changed]).update(
        status=status, status_date=status_date, version=F("version") + 1, updated_at=now)
    for p in changed:
        p.status, p.status_date, p.version, p.updated_at = status, status_date, p.version + 1, now
    StatusChange.objects.bulk_create([
        StatusChange(person=p, status=status, status_date=status_date, source=source, reference=reference,
                     recorded_by=actor) for p in changed], batch_size=2000, ignore_conflicts=True)
    record_many(actor, "enrollment.person.changed", [
        (p, before[p.pk], {**person_snapshot(p, fields), "source": source, "reference": reference})
        for p in changed])
    return len(changed)


def record_bulk_change(*, actor, action: str, scope: str, detail: dict) -> None:
    """The one audit entry of a set-based change to the register (a load from a file, the demo data),
    written in the caller's transaction: `scope` names what was loaded (a file name)."""
    record(actor, action, ("enrollment.register", scope[:64], scope), None, detail)


@transaction.atomic
def register_employer(*, actor, uscc: str, name: str, address: str = "", contact_name: str = "",
                      contact_phone: str = "", schemes: list[str] | None = None,
                      registered_on: date | None = None) -> Employer:
    try:
        code = check_uscc(uscc)
    except IdentityError as exc:
        raise ValidationFailed(errors=[{"column": "uscc", "message": str(exc)}])
    contact_phone = _checked_phone(contact_phone)
    if not name.strip():
        raise ValidationFailed(errors=[{"column": "name", "message": _("The name is empty.")}])
    if Employer.objects.filter(uscc=code).exists():
        raise ValidationFailed(_("An employer with this unified social credit code is already registered."),
                               code="duplicate_employer")
    employer = Employer.objects.create(
        uscc=code, name=name.strip(), address=address, contact_name=contact_name, contact_phone=contact_phone,
        schemes=schemes or [Employer.Scheme.BASIC], registered_on=registered_on,
    )
    record(actor, "enrollment.employer.registered", employer, None,
           {"uscc": code, "name": employer.name, "schemes": employer.schemes})
    return employer
