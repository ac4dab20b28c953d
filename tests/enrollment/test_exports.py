"""Exports of person search results and of an employer's staff: masked, neutralised, audited."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.exports import BOM
from core.masking import mask_id_number
from core.models import AuditEntry
from enrollment.identity import with_id_check_character
from tests.factories import EmployerFactory, PersonFactory

pytestmark = pytest.mark.django_db



def id_number(n: int) -> str:
    birth = date(1960, 1, 1) + timedelta(days=n * 5)
    return with_id_check_character(f"110105{birth:%Y%m%d}{(n % 500) * 2:03d}")


@pytest.fixture
def employer():
    return EmployerFactory(name="示范市长江物流有限公司")


@pytest.fixture
def staff(employer):
    names = ["张三", "张三丰", "=HYPERLINK(\"http://evil.example\",\"点我\")", "@SUM(1+1)*cmd|' /C calc'!A0"]
    return [PersonFactory(id_number=id_number(n), name=name, insurance_type="EMP", employer_code=employer.uscc)
            for n, name in enumerate(names)]


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):])))


def xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return sheet, [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_search_results_export_as_csv_with_numbers_masked(clerk, client_for, staff):
    response = client_for(clerk).get(reverse("enrollment:person_search_export"), {"q": "张三", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert ".csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == 3
    assert {r[0] for r in rows[1:]} == {"张三", "张三丰"}
    assert {r[1] for r in rows[1:]} == {mask_id_number(p.id_number) for p in staff[:2]}
    text = "".join(",".join(r) for r in rows)
    assert all(p.id_number not in text for p in staff)


def test_the_search_results_export_as_xlsx_with_numbers_masked(reviewer, client_for, staff):
    response = client_for(reviewer).get(reverse("enrollment:person_search_export"), {"q": "zs", "format": "xlsx"})
    assert response.status_code == 200
    _sheet, rows = xlsx_rows(response)
    assert [r[1] for r in rows[1:]] == [mask_id_number(p.id_number) for p in sorted(staff[:2], key=lambda p: p.name)]
    assert all(p.id_number not in str(rows) for p in staff)


def test_the_staff_export_neutralises_names_that_look_like_formulas_in_csv(clerk, client_for, employer, staff):
    response = client_for(clerk).get(reverse("enrollment:employer_staff_export", args=[employer.pk]),
                                     {"format": "csv"})
    names = {r[0] for r in csv_rows(response)[1:]}
    assert "'" + staff[2].name in names
    assert "'" + staff[3].name in names
    assert not any(n.startswith(("=", "@")) for n in names)


def test_the_staff_export_neutralises_names_that_look_like_formulas_in_xlsx(clerk, client_for, employer, staff):
    response = client_for(clerk).get(reverse("enrollment:employer_staff_export", args=[employer.pk]),
                                     {"format": "xlsx"})
    sheet, rows = xlsx_rows(response)
    assert len(rows) == 5
    names = {r[0] for r in rows[1:]}
    assert {"'" + staff[2].name, "'" + staff[3].name} <= names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert all(p.id_number not in str(rows) for p in staff)
    assert {r[1] for r in rows[1:]} == {mask_id_number(p.id_number) for p in staff}


def test_a_name_that_looks_like_a_formula_is_searchable_and_exported_neutralised(clerk, client_for, staff):
    response = client_for(clerk).get(reverse("enrollment:person_search_export"), {"q": "=HYPER", "format": "csv"})
    assert [r[0] for r in csv_rows(response)[1:]] == ["'" + staff[2].name]


def test_each_export_is_recorded_in_the_audit_trail_with_a_long_number_masked(clerk, client_for, employer, staff):
    client = client_for(clerk)
    client.get(reverse("enrollment:person_search_export"), {"q": staff[0].id_number, "format": "csv"})
    client.get(reverse("enrollment:employer_staff_export", args=[employer.pk]), {"format": "xlsx"})
    search, staff_list = AuditEntry.objects.filter(action="enrollment.register.exported").order_by("seq")
    assert search.actor_id == clerk.pk
    assert search.after == {"query": mask_id_number(staff[0].id_number), "format": "csv"}
    assert staff_list.after == {"employer": employer.uscc, "format": "xlsx"}


@pytest.mark.parametrize("role", ["provider", "settlement_auditor"])
def test_outsiders_cannot_export(personas, client_for, employer, staff, role):
    client = client_for(personas[role])
    assert client.get(reverse("enrollment:person_search_export"), {"q": "张", "format": "csv"}).status_code == 403
    assert client.get(reverse("enrollment:employer_staff_export", args=[employer.pk]),
                      {"format": "csv"}).status_code == 403
    assert not AuditEntry.objects.filter(action="enrollment.register.exported").exists()


def test_an_unknown_format_is_refused(clerk, client_for, employer):
    client = client_for(clerk)
    assert client.get(reverse("enrollment:person_search_export"), {"q": "张", "format": "pdf"}).status_code == 400
    assert client.get(reverse("enrollment:employer_staff_export", args=[employer.pk])).status_code == 400


def test_the_staff_export_streams_every_row(clerk, client_for, employer):
    for n in range(30):
        PersonFactory(id_number=id_number(100 + n), name="刘伟", insurance_type="EMP", employer_code=employer.uscc)
    response = client_for(clerk).get(reverse("enrollment:employer_staff_export", args=[employer.pk]),
                                     {"format": "csv"})
    assert response.streaming
    assert len(csv_rows(response)) == 31
