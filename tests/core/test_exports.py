"""core.exports: CSV with a BOM and XLSX, streamed, with formula injection neutralised."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.exports import (
    BOM,
    csv_lines,
    csv_response,
    export_response,
    neutralise,
    write_xlsx,
    xlsx_response,
)

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "\n=1", "=HYPERLINK(\"http://x\")",
             "  =1+1", "＝1+1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_text_that_a_spreadsheet_would_run_as_a_formula_gets_a_leading_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "3209**********1234", "a=b", "1-2", "", "zs", "O'Brien"])
def test_ordinary_text_is_left_alone(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", [-5, 3.5, Decimal("-12.30"), date(2026, 1, 2), True])
def test_numbers_and_dates_stay_typed(value):
    assert neutralise(value) == value


def test_none_is_an_empty_cell_and_other_objects_are_text():
    assert neutralise(None) == ""
    assert neutralise(type("Thing", (), {"__str__": lambda self: "=evil()"})()) == "'=evil()"


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):])))


def test_the_csv_starts_with_a_bom_and_keeps_chinese_and_neutralises_formulas():
    text = "".join(csv_lines(["姓名", "备注"], [["张三", "=cmd|' /C calc'!A0"], ["李四", "-2+3"],
                                              ["王五", date(2026, 3, 1)]]))
    assert _csv_rows(text) == [["姓名", "备注"], ["张三", "'=cmd|' /C calc'!A0"], ["李四", "'-2+3"],
                               ["王五", "2026-03-01"]]
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_a_header_is_neutralised_too():
    assert _csv_rows("".join(csv_lines(["=HEADER"], [])))[0] == ["'=HEADER"]


def test_the_csv_response_streams_rows_as_they_are_read():
    consumed = []

    def rows():
        for n in range(3):
            consumed.append(n)
            yield [n, f"行{n}"]

    response = csv_response(filename="导出", headers=["n", "text"], rows=rows())
    assert response.streaming
    assert consumed == []  # nothing read before the response is sent
    chunks = iter(response.streaming_content)
    next(chunks)  # the header line
    assert consumed == []
    next(chunks)
    assert consumed == [0]
    body = b"".join([*chunks]).decode()
    assert consumed == [0, 1, 2]
    assert "行2" in body
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=utf-8''%E5%AF%BC%E5%87%BA.csv" in response["Content-Disposition"]


def _xlsx_values(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_the_xlsx_neutralises_formulas_keeps_types_and_drops_control_characters():
    buffer = io.BytesIO()
    write_xlsx(buffer, headers=["名称", "值"], rows=[
        ["=1+1", 42], ["@SUM(A1)", Decimal("1.5")], ["bell\x07", date(2026, 5, 4)], ["正常", None],
    ], sheet_title="测试")
    values = _xlsx_values(buffer.getvalue())
    assert values[0] == ("名称", "值")
    assert values[1] == ("'=1+1", 42)
    assert values[2] == ("'@SUM(A1)", 1.5)
    assert values[3] == ("bell", datetime(2026, 5, 4))
    assert values[4] == ("正常", None)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.title == "测试"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere


def test_the_xlsx_response_is_an_attachment_written_from_a_generator():
    response = xlsx_response(filename="staff", headers=["a"], rows=([f"=row{n}"] for n in range(1000)))
    data = b"".join(response.streaming_content)
    assert response["Content-Disposition"] == 'attachment; filename="staff.xlsx"'
    values = _xlsx_values(data)
    assert len(values) == 1001
    assert values[1000] == ("'=row999",)


def test_export_response_picks_the_format_and_refuses_an_unknown_one():
    assert export_response("csv", filename="x", headers=["a"], rows=[]).streaming
    assert export_response("xlsx", filename="x", headers=["a"], rows=[])["Content-Type"].endswith(".sheet")
    with pytest.raises(ValueError):
        export_response("pdf", filename="x", headers=["a"], rows=[])
