"""Staff-list uploads: encodings, XLSX, every bad input named by row and column, the original kept,
nothing applied until registration, limits that keep a hostile file from hanging the server."""

import functools
import hashlib
import io
import time
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import InvalidTransition, TooLarge, UnreadableFile
from core.models import AuditEntry
from enrollment.identity import with_id_check_character
from enrollment.models import Application, Person, RosterEntry, RosterUpload
from enrollment.services import roster
from enrollment.services.roster import upload_roster
from tests import workbooks
from tests.enrollment.test_applications import add_persons, new_id_numbers, roster_bytes, roster_file
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]





@pytest.fixture
def case(clerk, employer):
    return add_persons(clerk, employer)


def upload(clerk, case, file):
    return upload_roster(actor=clerk, application=case, file=file)


def xlsx_file(rows, header=("身份证号", "姓名", "电话"), name="staff.xlsx", far_down=None) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if far_down:
        row_number, values = far_down
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row_number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def errors_by_row(up) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for e in up.errors:
        out.setdefault(e["row"], []).append((e["column"], e["message"]))
    return out


# -- good files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("gb18030", "gb18030")])
def test_csv_in_utf8_with_or_without_bom_or_gb18030_is_read(encoding, expected, clerk, case):
    numbers = new_id_numbers(2)
    data = roster_bytes([(numbers[0], "欧阳娜", "13800138000"), (numbers[1], "䶮一", "")], encoding=encoding)
    up = upload(clerk, case, SimpleUploadedFile("名单.csv", data))
    assert (up.is_valid, up.encoding, up.row_count) == (True, expected, 2)
    assert list(up.entries.values_list("line_no", "id_number", "name", "phone")) == [
        (2, numbers[0], "欧阳娜", "13800138000"), (3, numbers[1], "䶮一", "")]
    entry = up.entries.first()
    assert (entry.gender, entry.birth_date) == ("1" if int(numbers[0][16]) % 2 else "2", date(1990, 3, 1))


def test_english_headers_in_any_order_and_a_title_row_are_accepted(clerk, case):
    number = new_id_numbers(1)[0]
    data = f"XX公司增员花名册,,\nName,Phone,ID number\n王五,13900000000,{number.lower()}\n".encode()
    up = upload(clerk, case, SimpleUploadedFile("staff.csv", data))
    assert up.is_valid, up.errors
    assert list(up.entries.values_list("line_no", "id_number", "name")) == [(3, number, "王五")]


def test_xlsx_first_sheet_is_read(clerk, case):
    numbers = new_id_numbers(2)
    up = upload(clerk, case, xlsx_file([(numbers[0], "张三", 13800138000), (numbers[1], "李四", None)]))
    assert (up.is_valid, up.encoding, up.row_count) == (True, "xlsx", 2)
    assert list(up.entries.values_list("phone", flat=True)) == ["13800138000", ""]


# -- every bad input, all at once ---------------------------------------------------------------

def test_every_bad_row_is_reported_with_its_row_and_column_and_nothing_is_taken(clerk, case, employer):
    good, dup = new_id_numbers(2)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    future = with_id_check_character("32010620300101001")
    registered = PersonFactory().id_number
    rows = [
        (good, "张三", "13800138000"),        # row 2: fine
        (wrong_check, "李四", ""),            # row 3: check character
        (future, "王五", ""),                 # row 4: birth date in the future
        (dup, "12345", ""),                   # row 5: a name of digits
        (dup, "赵六", ""),                    # row 6: the same number as row 5
        (dup, "钱七", ""),                    # row 7: and again
        (registered, "孙八", ""),             # row 8: already in the register
        ("", "", "abc"),                      # row 9: empty number and name, bad phone
    ]
    up = upload(clerk, case, roster_file(rows))
    by_row = errors_by_row(up)
    assert set(by_row) == {3, 4, 5, 6, 7, 8, 9}
    assert by_row[3] == [("身份证号", "The check character is wrong: the number was probably mistyped.")]
    assert by_row[4][0][0] == "身份证号" and "future" in by_row[4][0][1]
    assert by_row[5] == [("姓名", "A name cannot contain digits.")]
    assert by_row[6] == by_row[7] == [("身份证号", "The same identity number as row 5.")]
    assert by_row[8][0][0] == "身份证号" and "Already in the register" in by_row[8][0][1]
    assert {c for c, _m in by_row[9]} == {"身份证号", "姓名", "手机号"}
    assert not up.is_valid and up.error_count == len(up.errors) == 9
    assert RosterEntry.objects.count() == 0  # nothing half-taken
    assert Person.objects.filter(id_number=good).count() == 0


def test_a_person_already_in_another_open_application_is_refused(clerk, employer, case):
    other = add_persons(clerk, employer)
    number = new_id_numbers(1)[0]
    assert upload(clerk, other, roster_file([(number, "张三", "")])).is_valid
    up = upload(clerk, case, roster_file([(number, "张三", "")]))
    assert errors_by_row(up) == {2: [("身份证号", f"Already in open application {other.number}.")]}
    # Uploading to the same application again replaces its list and is not a clash with itself.
    again = upload(clerk, other, roster_file([(number, "张三", "")]))
    assert again.is_valid
    assert list(other.roster_uploads.filter(is_current=True)) == [again]


def test_a_missing_column_is_named(clerk, case):
    up = upload(clerk, case, SimpleUploadedFile("x.csv", "姓名,电话\n张三,1\n".encode()))
    assert not up.is_valid
    assert up.errors[0]["message"].startswith("No column “身份证号”")


def test_an_xlsx_with_formulas_is_refused_cell_by_cell(clerk, case):
    number = new_id_numbers(1)[0]
    up = upload(clerk, case, xlsx_file([(number, "张三", ""), ('=CONCATENATE("3201","06199003010011")', "李四", ""),
                                        (number, "=A1", "")]))
    by_row = errors_by_row(up)
    assert set(by_row) == {3, 4}
    assert by_row[3][0][0] == "身份证号" and "formula" in by_row[3][0][1] and "CONCATENATE" in by_row[3][0][1]
    assert by_row[4] == [("姓名", "The cell holds a formula (=A1): copy the column and paste it as values only.")]
    assert not up.is_valid and RosterEntry.objects.count() == 0


def test_an_identity_number_stored_as_a_number_is_refused(clerk, case):
    number = new_id_numbers(1)[0]
    up = upload(clerk, case, xlsx_file([(int(number[:17] + "0"), "张三", "")]))
    assert errors_by_row(up)[2][0][0] == "身份证号"
    assert "15 digits" in errors_by_row(up)[2][0][1]


def test_an_xlsx_with_a_million_blank_rows_is_read_quickly(clerk, case):
    numbers = new_id_numbers(2)
    file = xlsx_file([(numbers[0], "张三", ""), (numbers[1], "李四", "")],
                     far_down=(1_000_000, (numbers[0], "藏在下面", "")))
    started = time.monotonic()
    up = upload(clerk, case, file)
    assert time.monotonic() - started < 10
    assert up.is_valid and up.row_count == 2
    assert f"after {roster.BLANK_RUN} blank rows" in up.note


def test_more_rows_than_the_cap_is_refused(monkeypatch, clerk, case):
    monkeypatch.setattr(roster, "MAX_ROWS", 3)
    up = upload(clerk, case, roster_file([(n, "张三", "") for n in new_id_numbers(5)]))
    assert not up.is_valid
    assert errors_by_row(up)[5] == [("", "The file has more than 3 rows of staff: split it into several "
                                         "applications.")]


class _HugeFile:
    """A 60 MB upload that must not be read at all."""

    name = "大名单.csv"
    size = 60 * 1024 * 1024

    def read(self, *args):
        raise AssertionError("a file over the limit was read")


def test_a_60_mb_upload_is_refused_before_it_is_read_and_the_refusal_is_audited(clerk, case):
    with pytest.raises(TooLarge) as exc:
        upload(clerk, case, _HugeFile())
    assert "60.0 MB" in str(exc.value.message) and "50 MB" in str(exc.value.message)
    assert RosterUpload.objects.count() == 0
    refusal = AuditEntry.objects.get(action="enrollment.application.roster_refused")
    assert refusal.after["size"] == _HugeFile.size


# -- the original is kept; nothing applied before registration ----------------------------------

def test_the_original_file_is_kept_with_its_checksum_even_when_invalid(clerk, case):
    data = roster_bytes([("110105194912310021", "张三", "")], encoding="gb18030")
    up = upload(clerk, case, SimpleUploadedFile("错误名单.csv", data))
    assert not up.is_valid
    up.refresh_from_db()
    assert up.original_name == "错误名单.csv" and up.size == len(data)
    assert up.sha256 == hashlib.sha256(data).hexdigest()
    with up.file.open("rb") as kept:
        assert kept.read() == data
    assert AuditEntry.objects.get(action="enrollment.application.roster_uploaded").after["valid"] is False


def test_a_new_upload_replaces_the_current_one_and_keeps_the_old(clerk, case):
    first = upload(clerk, case, roster_file([(n, "张三", "") for n in new_id_numbers(1)]))
    second = upload(clerk, case, roster_file([("bad", "李四", "")]))
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert case.roster_uploads.count() == 2 and first.file.size > 0


def test_only_an_add_persons_case_takes_a_staff_list(clerk, staff_case_factory):
    with pytest.raises(InvalidTransition):
        upload(clerk, staff_case_factory("CHANGE_INFO"), roster_file([]))


@pytest.fixture
def staff_case_factory(clerk, employer):
    from enrollment.services.applications import create_application

    def make(kind):
        person = PersonFactory(insurance_type="EMP", employer_code=employer.uscc)
        return create_application(actor=clerk, kind=kind, applicant_name=person.name,
                                  person_id_number=person.id_number, payload={"changes": {"phone": "13911112222"}})

    return make


def test_validation_takes_the_same_number_of_queries_for_5_or_300_rows(clerk, employer,
                                                                        django_assert_max_num_queries):
    small, large = add_persons(clerk, employer), add_persons(clerk, employer)
    numbers = new_id_numbers(305)
    with django_assert_max_num_queries(16) as captured_small:
        upload(clerk, small, roster_file([(n, "张三", "") for n in numbers[:5]]))
    with django_assert_max_num_queries(len(captured_small.captured_queries)):
        upload(clerk, large, roster_file([(n, "张三", "") for n in numbers[5:]]))
    assert Application.objects.get(pk=large.pk).roster_uploads.get().row_count == 300


# -- files that cannot be read: refused with their own code and message, nothing kept -------------

HEADER = "身份证号,姓名,电话\n"
ID = "110105194912310021"


@functools.cache
def _bombs() -> dict[str, bytes]:
    return {"strings": workbooks.shared_strings_bomb(declare=True),
            "strings_undeclared": workbooks.shared_strings_bomb(declare=False),
            "cells": workbooks.cells_bomb(20_000_000),
            "unpacked": workbooks.build(workbooks.sheet_xml([b" " * (300 * 2**20)]))}


# name -> (file name, contents, code, the message (its beginning))
BAD_FILES = {
    "sheet XML that does not parse": (
        "staff.xlsx", workbooks.broken_sheet, "damaged_workbook",
        "The workbook is damaged near row 3 (mismatched tag, line 1): open it in Excel or WPS and save it again as "
        "XLSX."),
    "a field longer than the csv module's limit": (
        "staff.csv", lambda: (HEADER + f"{ID},张三,{'1' * 140_000}\n").encode(), "field_too_long",
        "Line 2 has a field longer than 131,072 characters: the file is refused."),
    "a NUL byte": (
        "staff.csv", lambda: (HEADER + f"{ID},张\x00三,\n").encode(), "nul_byte",
        "Line 2 contains a NUL byte, which no text file holds: save the file again as CSV or XLSX."),
    "twelve million shared strings, declared": (
        "bomb.xlsx", lambda: _bombs()["strings"], "too_many_strings",
        "The workbook declares 12,000,000 distinct texts, more than the 500,000 a file may hold: it is refused "
        "unread."),
    "twelve million shared strings, undeclared": (
        "bomb.xlsx", lambda: _bombs()["strings_undeclared"], "too_many_strings",
        "The workbook holds more than 500,000 distinct texts: it is refused."),
    "twenty million empty cells": (
        "cells.xlsx", lambda: _bombs()["cells"], "too_many_cells",
        "The sheet holds more than 1,000,000 cells (empty ones included): it is refused. Copy the data to a new "
        "sheet and save that."),
    "a zip that would unpack past the limit": (
        "big.xlsx", lambda: _bombs()["unpacked"], "workbook_too_large",
        "The workbook would unpack to 300 MB, more than the 256 MB allowed: it is refused unread."),
    "no zip at all": (
        "x.xlsx", lambda: b"PK\x03\x04 not really a zip", "damaged_workbook", "The file is not a valid XLSX workbook."),
    "text in no known encoding": (
        "staff.csv", lambda: HEADER.encode() + b"\xff\xfe\xfd,\x81\n", "encoding",
        "Line 2 is neither UTF-8 nor GB18030 text: save the file as CSV (UTF-8) or XLSX again."),
    "an old .xls workbook": (
        "staff.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "unsupported_format",
        "This is an old Excel workbook (.xls) or one protected by a password: save it as .xlsx (Excel 2007 or "
        "later), without a password."),
}


def bad_file(case: str) -> tuple[SimpleUploadedFile, str, str]:
    name, contents, code, message = BAD_FILES[case]
    return SimpleUploadedFile(name, contents()), code, message


def _nothing_kept_and_refusal_audited(case, code) -> None:
    assert RosterUpload.objects.filter(application=case).count() == 0
    refusal = AuditEntry.objects.get(action="enrollment.application.roster_refused")
    assert refusal.after["code"] == code


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_bad_file_is_refused_by_the_service_with_its_code_and_message(bad, clerk, case):
    file, code, message = bad_file(bad)
    started = time.monotonic()
    with pytest.raises(UnreadableFile) as caught:
        upload(clerk, case, file)
    assert time.monotonic() - started < 20
    assert (caught.value.code, caught.value.status, str(caught.value.message)) == (code, 400, message)
    _nothing_kept_and_refusal_audited(case, code)


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_bad_file_is_a_form_error_on_the_page(bad, client_for, clerk, case):
    from django.urls import reverse
    from django.utils.html import escape

    file, code, message = bad_file(bad)
    response = client_for(clerk).post(reverse("enrollment:application_roster", args=[case.pk]),
                                      {"version": case.version, "file": file})
    assert response.status_code == 400
    assert response.context["roster_form"].errors == {"file": [message]}
    assert escape(message) in response.content.decode()
    _nothing_kept_and_refusal_audited(case, code)


@pytest.mark.parametrize("bad", list(BAD_FILES))
def test_a_bad_file_is_a_400_with_its_code_and_message_on_the_api(bad, clerk, case):
    from rest_framework.test import APIClient

    file, code, message = bad_file(bad)
    api = APIClient()
    api.force_authenticate(clerk)
    response = api.post(f"/api/v1/enrollment/applications/{case.pk}/roster/", {"file": file}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["message"]) == (code, message)
    assert body["errors"][0]["message"] == message
    _nothing_kept_and_refusal_audited(case, code)
