"""A bad agency extract is rejected naming the line, by `load_enrollment` and `reconcile_enrollment`
alike, whichever path reads it (the raw-line COPY, COPY's CSV parser, Python's csv reader for
another column order), and changes nothing: a stray #TRAILER row, an over-long field, a NUL byte.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from enrollment.models import Discrepancy, Person, ReconciliationRun
from tests.factories import PersonFactory

from .extracts import HEADER, number, person_values, row, write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

A, B = number("32010219800101001"), number("32010219850615002")
LONG = "x" * 140_000  # over the csv module's 131,072 characters

STRAY = "Line 3 is a #TRAILER row but not the last row: the file is refused (two files put together, or a damaged one)."
TOO_LONG = "Line 3 has a field longer than 131,072 characters: the file is refused."
NUL = "Line 3 contains a NUL byte: the file is refused."

# case -> (the data rows after the header, the message). Line 2 is A, line 3 the bad one.
CASES = {
    "a stray trailer": ([row(A), "#TRAILER,1", row(B)], STRAY),
    "a stray trailer of nine columns": ([row(A), "#TRAILER,1,,,,,,,", row(B)], STRAY),
    "an over-long name": ([row(A), row(B, name=LONG)], TOO_LONG),
    "an over-long quoted name": ([row(A), row(B, name=f'"{LONG}"')], TOO_LONG),
    "an over-long id number": ([row(A), f"{LONG},张三,1,1980-01-01,RES,,ACTIVE,2020-01-01,2026-10"], TOO_LONG),
    "a NUL byte": ([row(A), row(B, name="张\x00三")], NUL),
}


def _reordered(lines: list[str]) -> tuple[str, list[str]]:
    """The same file with name before id_number: only Python's csv reader takes that order."""
    def swap(line):
        if line.startswith("#TRAILER"):
            return line
        fields = line.split(",")  # no field of these holds a comma
        fields[0], fields[1] = fields[1], fields[0]
        return ",".join(fields)

    return swap(HEADER), [swap(line) for line in lines]


def _file(tmp_path, case: str, order: str):
    lines, message = CASES[case]
    header = HEADER
    if order == "name first":
        header, lines = _reordered(lines)
    return write(tmp_path / "enrollment-20261120.csv", lines, header=header, trailer=2), message


ORDERS = ["spec order", "name first"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("case", list(CASES))
def test_load_enrollment_rejects_the_file_naming_the_line(case, order, tmp_path):
    PersonFactory(**person_values(A, name="原名"))
    path, message = _file(tmp_path, case, order)
    with pytest.raises(CommandError) as caught:
        call_command("load_enrollment", "--file", str(path), stdout=StringIO(), stderr=StringIO())
    assert str(caught.value) == f"{path}: {message}"
    assert list(Person.objects.values_list("id_number", "name")) == [(A, "原名")]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("case", list(CASES))
def test_reconcile_enrollment_rejects_the_file_naming_the_line(case, order, tmp_path):
    PersonFactory(**person_values(A, name="原名"))
    path, message = _file(tmp_path, case, order)
    with pytest.raises(CommandError) as caught:
        call_command("reconcile_enrollment", "--file", str(path), stdout=StringIO(), stderr=StringIO())
    assert str(caught.value) == f"{path}: rejected, nothing changed: {message}"
    assert not Discrepancy.objects.exists()
    assert ReconciliationRun.objects.get().status == ReconciliationRun.Status.REJECTED


def test_a_trailer_followed_only_by_blank_lines_is_the_last_row(tmp_path):
    path = write(tmp_path / "r.csv", [row(A)])
    path.write_text(path.read_text() + "\n\n")
    out = StringIO()
    call_command("load_enrollment", "--file", str(path), stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines()[0] == "CREATED: 1"


def test_a_name_longer_than_the_register_holds_is_listed_and_nothing_is_loaded(tmp_path):
    path = write(tmp_path / "r.csv", [row(A), row(B, name="长" * 51)])
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("load_enrollment", "--file", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["line 3, column name: longer than the 50 characters the register holds"]
    assert not Person.objects.exists()


def test_bad_utf8_is_rejected_naming_the_line(tmp_path):
    path = write(tmp_path / "r.csv", [row(A), row(B)])
    path.write_bytes(path.read_bytes().replace("张三".encode(), b"\xff\xfe", 1))
    with pytest.raises(CommandError, match="Line 2 is not valid UTF-8 text."):
        call_command("load_enrollment", "--file", str(path), stdout=StringIO(), stderr=StringIO())
