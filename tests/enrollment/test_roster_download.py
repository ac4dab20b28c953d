"""Issue 14, item 9: the original staff list, with its full identity numbers, goes only to a user
who may see full numbers (enrollment.view_full_id_number), and that download is audited; everyone
else on enrollment's staff gets a copy with the numbers masked, in the file's own format."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.masking import mask_id_number
from core.models import AuditEntry
from enrollment.services.roster import upload_roster
from tests.enrollment.test_applications import add_persons, new_id_numbers, roster_bytes

pytestmark = pytest.mark.django_db

FULL = {"reviewer", "senior_reviewer", "supervisor", "admin"}  # apps.py's role_permissions
MASKED = {"clerk"}
ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]


@pytest.fixture
def uploaded(clerk, employer):
    """A staff list with a note column that quotes a number too (a misnamed column, a remark)."""
    numbers = new_id_numbers(2)
    data = roster_bytes([(numbers[0], "张三", "13800138000", f"同 {numbers[1]}"), (numbers[1], "李四", "", "")],
                        header=("身份证号", "姓名", "手机号", "备注"))
    app = add_persons(clerk, employer)
    upload = upload_roster(actor=clerk, application=app, file=SimpleUploadedFile("花名册.csv", data))
    return app, upload, numbers, data


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def downloads():
    return AuditEntry.objects.filter(action="enrollment.application.roster_downloaded")


@pytest.mark.parametrize("role", ROLES)
def test_the_original_goes_only_to_those_who_may_see_full_numbers_and_is_audited(personas, client_for, uploaded,
                                                                                 role):
    app, upload, numbers, data = uploaded
    user = personas[role]
    response = client_for(user).get(reverse("enrollment:application_roster_file", args=[app.pk, upload.pk]))
    if role in FULL:
        assert response.status_code == 200 and content(response) == data
        entry = downloads().get()
        assert (entry.actor_id, entry.object_id, entry.after["sha256"]) == (user.pk, str(app.pk), upload.sha256)
    elif role in MASKED:
        assert response.status_code == 200
        body = content(response).decode("utf-8-sig")
        assert numbers[0] not in body and numbers[1] not in body
        assert mask_id_number(numbers[0]) in body and "张三" in body and "13800138000" in body
        assert not downloads().exists()
    else:
        assert response.status_code == 403 and not downloads().exists()


def test_the_masked_copy_keeps_every_row_and_column_and_masks_each_number(client_for, clerk, uploaded):
    app, upload, numbers, _data = uploaded
    response = client_for(clerk).get(reverse("enrollment:application_roster_file", args=[app.pk, upload.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(content(response).decode("utf-8-sig"))))
    assert rows == [
        ["身份证号", "姓名", "手机号", "备注"],
        [mask_id_number(numbers[0]), "张三", "13800138000", f"同 {mask_id_number(numbers[1])}"],
        [mask_id_number(numbers[1]), "李四", "", ""],
    ]


def test_an_xlsx_staff_list_comes_back_masked_as_xlsx(client_for, clerk, employer):
    number = new_id_numbers(1)[0]
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名"])
    sheet.append([number, "王五"])
    buffer = io.BytesIO()
    book.save(buffer)
    app = add_persons(clerk, employer)
    upload = upload_roster(actor=clerk, application=app, file=SimpleUploadedFile("花名册.xlsx", buffer.getvalue()))
    response = client_for(clerk).get(reverse("enrollment:application_roster_file", args=[app.pk, upload.pk]))
    cells = [[c.value for c in row] for row in load_workbook(io.BytesIO(content(response))).active.iter_rows()]
    assert cells == [["身份证号", "姓名"], [mask_id_number(number), "王五"]]


def test_an_invalid_staff_list_is_masked_too(client_for, clerk, employer):
    number = new_id_numbers(1)[0]
    app = add_persons(clerk, employer)
    upload = upload_roster(actor=clerk, application=app, file=SimpleUploadedFile(
        "花名册.csv", roster_bytes([(number, "张三", ""), (number[:-1] + "0" if number[-1] != "0" else number[:-1] + "1",
                                                          "李四", "")])))
    assert not upload.is_valid
    body = content(client_for(clerk).get(reverse("enrollment:application_roster_file",
                                                 args=[app.pk, upload.pk]))).decode("utf-8-sig")
    assert number not in body and number[:-1] not in body and mask_id_number(number) in body
