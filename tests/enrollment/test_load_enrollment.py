"""`load_enrollment`: all or nothing, every invalid row listed, idempotent, history kept."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from enrollment.models import Person, StatusChange
from enrollment.selectors import status_on

from .extracts import EMPLOYER, number, row, write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

A, B = number("32010219800101001"), number("32010219850615002")
SHAN = number("31010419750303007")


def load(path) -> list[str]:
    out = StringIO()
    call_command("load_enrollment", "--file", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_a_file_loads_and_loading_it_again_changes_nothing(tmp_path):
    path = write(tmp_path / "r.csv", [row(A), row(B, name="单雄信", insurance_type="EMP", employer_code=EMPLOYER)])
    assert load(path) == ["CREATED: 2", "UPDATED: 0", "UNCHANGED: 0", "PERSONS: 2"]
    assert load(path) == ["CREATED: 0", "UPDATED: 0", "UNCHANGED: 2", "PERSONS: 2"]
    person = Person.objects.get(id_number=B)
    assert (person.name_initials, person.employer_code, person.paid_through) == ("sxx", EMPLOYER, date(2026, 10, 1))
    assert StatusChange.objects.filter(person=person).count() == 1


def test_a_status_change_updates_the_person_and_keeps_the_history(tmp_path):
    load(write(tmp_path / "1.csv", [row(A), row(B)]))
    changed = write(tmp_path / "2.csv", [row(A), row(B, status="TERMINATED", status_date="2026-06-30")])
    assert load(changed) == ["CREATED: 0", "UPDATED: 1", "UNCHANGED: 1", "PERSONS: 2"]
    person = Person.objects.get(id_number=B)
    assert person.status == "TERMINATED" and person.version == 2
    assert person.name_initials == "zs"  # the name did not change: its initials stay
    assert status_on(person, date(2026, 6, 29)) == "ACTIVE"
    assert status_on(person, date(2026, 6, 30)) == "TERMINATED"
    assert status_on(person, date(2019, 12, 31)) is None


def test_an_invalid_file_loads_nothing_and_lists_every_problem(tmp_path):
    load(write(tmp_path / "1.csv", [row(A)]))
    rows = [
        row(B),
        row(number("32010219900101003"), name=" "),  # line 3: empty name
        row(A[:-1] + ("0" if A[-1] != "0" else "1")),  # line 4: check character
        row(number("32010219900101005"), birth_date="1990-02-30"),  # line 5: not a real date
        row(number("32010219900101007"), insurance_type="RES", employer_code=EMPLOYER),  # line 6
        row(number("32010219900101009"), paid_through="2026-13"),  # line 7
        "only,three,columns",  # line 8
    ]
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_enrollment", "--file", str(write(tmp_path / "2.csv", rows)), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        "line 3, column name: the name is empty",
        "line 4, column id_number: the check character is wrong",
        "line 5, column birth_date: not a real YYYY-MM-DD date",
        "line 6, column employer_code: must be empty for a resident (RES)",
        "line 7, column paid_through: not a real YYYY-MM month",
        "line 8, row: wrong number of columns",
    ]
    assert list(Person.objects.values_list("id_number", flat=True)) == [A]


def test_a_truncated_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="truncated"):
        call_command("load_enrollment", "--file", str(write(tmp_path / "r.csv", [row(A)], trailer=3)),
                     stdout=StringIO(), stderr=StringIO())
    assert not Person.objects.exists()


def test_a_number_whose_county_code_is_newer_than_the_birth_year_is_accepted(tmp_path):
    # 110119 (Yanqing district) dates from 2015; numbers are issued with the code in force at issue.
    newer = number("11011919600101001")
    assert load(write(tmp_path / "r.csv", [row(newer)])) == ["CREATED: 1", "UPDATED: 0", "UNCHANGED: 0",
                                                              "PERSONS: 1"]


def test_the_register_refuses_what_the_extract_format_would_refuse(clerk):
    """The nightly comparison takes a line equal to the register's row as valid: the register's
    services keep to the same rules."""
    from core.errors import ValidationFailed
    from enrollment.services.register import register_person

    common = dict(actor=clerk, name="张三", insurance_type="RES", status="ACTIVE")
    with pytest.raises(ValidationFailed) as caught:
        register_person(id_number=A, status_date=date(1970, 1, 1), **common)  # before the 1980 birth date
    assert caught.value.errors[0]["column"] == "status_date"
    with pytest.raises(ValidationFailed) as caught:
        register_person(id_number=number("32010220990101001"), status_date=date(2026, 1, 1), **common)
    assert caught.value.errors[0]["column"] == "id_number"
    assert not Person.objects.exists()
