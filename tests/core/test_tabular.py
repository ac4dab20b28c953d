"""core.tabular: CSV, XLSX and JSON read into numbered rows under a mapped header; every bad or
hostile file refused with its own code and a message naming where, in bounded time and memory."""

import datetime
import functools
import io
import json
import time
import tracemalloc
from decimal import Decimal

import openpyxl
import pytest

from core.errors import TooLarge, UnreadableFile
from core.tabular import (
    FIELD_LIMIT,
    Column,
    Formula,
    Limits,
    MissingColumns,
    as_text,
    open_table,
    sniff_format,
)
from tests import workbooks as wb

pytestmark = pytest.mark.usefixtures("english")

COLUMNS = [Column("claim_no"), Column("amount"), Column("note", required=False)]
STAFF = [Column("id_number", ("身份证号", "证件号码")), Column("name", ("姓名",)),
         Column("phone", ("电话",), required=False)]


def read(data, name="f.csv", columns=COLUMNS, **options):
    with open_table(data, name=name, columns=columns, **options) as table:
        return table, list(table.rows())


def refused(data, name="f.csv", columns=COLUMNS, **options) -> UnreadableFile:
    with pytest.raises(UnreadableFile) as caught:
        read(data, name, columns, **options)
    return caught.value


def workbook_bytes(rows, header=("claim_no", "amount", "note")) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- CSV --------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding,reported", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("gb18030", "gb18030"), ("utf-16", "utf-16")])
def test_csv_in_each_encoding_reads_the_same(encoding, reported):
    data = "claim_no,amount,note\nZY001,12.50,住院\nZY002,3,䶮\n".encode(encoding)
    table, rows = read(data)
    assert (table.format, table.encoding, table.header_row) == ("csv", reported, 1)
    assert [(r.number, r.values) for r in rows] == [
        (2, {"claim_no": "ZY001", "amount": "12.50", "note": "住院"}),
        (3, {"claim_no": "ZY002", "amount": "3", "note": "䶮"})]


def test_headers_map_through_aliases_in_any_order_after_a_title_row_and_tabs_are_read():
    data = "某公司增员名单\t\t\n电话\t证件号码\t姓 名\t备注\n139\t110105194912310021\t张三\tx\n".encode("gb18030")
    table, rows = read(data, columns=STAFF, header_search=3)
    assert table.header_row == 2 and table.unknown == ["备注"]
    assert table.columns == {"phone": (0, "电话"), "id_number": (1, "证件号码"), "name": (2, "姓 名")}
    assert rows[0].values == {"id_number": "110105194912310021", "name": "张三", "phone": "139"}


def test_an_optional_column_may_be_left_out_and_a_missing_one_is_named():
    _table, rows = read(b"amount,claim_no\n1,A\n")
    assert rows[0].values == {"claim_no": "A", "amount": "1", "note": None}
    error = refused(b"claim_no,note\nA,x\n")
    assert isinstance(error, MissingColumns) and error.code == "missing_columns"
    assert error.errors == [{"row": 1, "column": "", "message": "No column “amount” in the header row."}]
    staff = refused("姓名,电话\n张三,1\n".encode(), columns=STAFF)
    assert staff.errors[0]["message"] == "No column “身份证号” in the header row (accepted: 身份证号, 证件号码)."


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending_reads_the_same(newline):
    _table, rows = read(newline.join(["claim_no,amount", "A,1", "B,2", ""]).encode())
    assert [(r.number, r.values["claim_no"], r.values["amount"]) for r in rows] == [(2, "A", "1"), (3, "B", "2")]


def test_a_quoted_field_spanning_lines_keeps_the_row_number_and_gives_the_line():
    data = b'claim_no,amount,note\nA,1,"two\nlines"\nB,2,\n'
    _table, rows = read(data)
    assert [(r.number, r.line, r.values["note"]) for r in rows] == [(2, 2, "two\nlines"), (3, 4, "")]


def test_a_nul_byte_is_refused_naming_its_line():
    error = refused(b"claim_no,amount\nA,1\nB,2\x00\n")
    assert error.code == "nul_byte" and error.status == 400
    assert error.message == ("Line 3 contains a NUL byte, which no text file holds: save the file again as CSV "
                             "or XLSX.")


def test_a_field_longer_than_the_csv_modules_limit_is_refused_naming_its_line():
    data = b"claim_no,amount\nA,1\nB," + b"9" * (FIELD_LIMIT + 1) + b"\n"
    error = refused(data)
    assert error.code == "field_too_long"
    assert error.message == "Line 3 has a field longer than 131,072 characters: the file is refused."
    assert error.errors == [{"row": 3, "column": "", "message": error.message}]


def test_a_quoted_field_that_never_closes_cannot_swallow_the_file():
    error = refused(b'claim_no,amount\nA,1\nB,"1\n' + b"x,y\n" * 200_000)
    assert error.code == "field_too_long"
    assert error.message == "Line 3 has a field longer than 131,072 characters: the file is refused."


def test_a_record_of_countless_short_fields_is_refused_naming_its_line():
    error = refused(b"claim_no,amount\nA,1\n" + b"x," * 300_000 + b"\n")
    assert error.code == "line_too_long"
    assert error.message == ("Line 3 is longer than 524,288 characters (with the lines its quoted fields span): "
                             "the file is refused.")


def test_text_in_no_known_encoding_is_refused_naming_the_line():
    error = refused(b"claim_no,amount\nA,1\nB,\xff\xfe\xfd\n")
    assert error.code == "encoding"
    assert error.message == ("Line 3 is neither UTF-8 nor GB18030 text: save the file as CSV (UTF-8) or XLSX "
                             "again.")


class _Watched(io.BytesIO):
    """Remembers how far it was read."""

    furthest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data


def test_a_file_with_too_many_lines_is_refused_before_the_rest_is_read():
    data = b"claim_no,amount\n" + b"A,1\n" * 2_000_000
    stream = _Watched(data)
    with pytest.raises(TooLarge) as caught:
        open_table(stream, name="big.csv", columns=COLUMNS, limits=Limits(max_lines=500_000))
    assert caught.value.code == "too_many_lines" and caught.value.status == 413
    assert caught.value.message == "The file has more than 500,000 lines: split it into several files."
    assert stream.furthest < len(data) / 2


class _Huge:
    name = "huge.csv"
    size = 60 * 2**20

    def seekable(self):
        return True

    def read(self, *args):
        raise AssertionError("read a file over the size limit")


def test_a_file_over_the_size_limit_is_refused_unread():
    with pytest.raises(TooLarge) as caught:
        open_table(_Huge(), columns=COLUMNS, limits=Limits(max_bytes=50 * 2**20))
    assert caught.value.message == "The file “huge.csv” is 60.0 MB; the limit is 50 MB."


def test_an_empty_file_and_an_old_xls_are_refused_with_their_own_codes():
    assert refused(b"\n\n  \n").code == "empty_file"
    old = refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, name="x.xls")
    assert old.code == "unsupported_format" and ".xlsx" in old.message
    assert refused(b"[]", name="x.json", formats=("csv", "xlsx")).message == (
        "A JSON file cannot be read here: upload CSV / XLSX.")


def test_blank_rows_past_the_limit_stop_reading():
    _table, rows = read(b"claim_no,amount\nA,1\n" + b",\n" * 5 + b"B,2\n", stop_after_blank=3)
    assert [r.values["claim_no"] for r in rows] == ["A"] and _table.stopped_at == 5


def test_the_format_comes_from_a_zip_signature_then_the_extension_then_the_content():
    assert sniff_format("claims.csv", b"PK\x03\x04....") == "xlsx"
    assert sniff_format("claims.json", b"claim_no") == "json"
    assert sniff_format("upload", b"\xef\xbb\xbf [{") == "json"
    assert sniff_format("upload", b"claim_no,") == "csv"


# -- XLSX -------------------------------------------------------------------------------------

def test_an_xlsx_gives_typed_values_and_formulas_as_such():
    data = workbook_bytes([("ZY001", Decimal("12.30"), datetime.date(2026, 11, 3)),
                           ("ZY002", 7, "=B2*2"), (None, None, None), ("ZY003", 0.1, True)])
    table, rows = read(data, name="claims.xlsx")
    assert (table.format, table.encoding) == ("xlsx", "xlsx")
    assert [r.number for r in rows] == [2, 3, 5]
    assert rows[0].values == {"claim_no": "ZY001", "amount": Decimal("12.3"), "note": datetime.date(2026, 11, 3)}
    assert rows[1].values["amount"] == 7 and rows[1].values["note"] == Formula("=B2*2", None)
    assert rows[2].values["amount"] == Decimal("0.1") and rows[2].values["note"] is True
    assert [as_text(v) for v in rows[0].values.values()] == ["ZY001", "12.3", "2026-11-03"]


def test_inline_and_rich_texts_skip_phonetic_runs_and_chinese_date_formats_are_dates():
    shared = wb.shared_xml(["<r><t>张</t></r><r><t>三</t></r><rPh sb=\"0\" eb=\"1\"><t>zhang</t></rPh>"])
    sheet = wb.sheet_xml([wb.inline_row(1, "claim_no", "amount", "note"),
                          '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" s="2"><v>46329</v></c>'
                          '<c r="C2" t="inlineStr"><is><t>备</t><rPh><t>bei</t></rPh></is></c></row>'])
    _table, rows = read(wb.build(sheet, shared), name="x.xlsx")
    assert rows[0].values == {"claim_no": "张三", "amount": datetime.date(2026, 11, 3), "note": "备"}


def test_sheet_xml_that_does_not_parse_is_refused_naming_the_row():
    error = refused(wb.broken_sheet(), name="x.xlsx", columns=STAFF)
    assert error.code == "damaged_workbook" and error.status == 400
    assert error.message.startswith("The workbook is damaged near row 3 (mismatched tag")
    assert error.message.endswith("open it in Excel or WPS and save it again as XLSX.")


@functools.cache
def _bomb(declare: bool) -> bytes:
    return wb.shared_strings_bomb(declare=declare)


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "undeclared"])
def test_twelve_million_shared_strings_are_refused_quickly_in_little_memory(declare):
    data = _bomb(declare)
    assert len(data) < 500 * 1024
    tracemalloc.start()
    started = time.process_time()  # CPU time: a busy machine must not fail it, an unbounded reader must
    try:
        error = refused(data, name="bomb.xlsx", limits=Limits(max_shared_strings=200_000))
    finally:
        _size, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.process_time() - started < 10
    assert peak < 64 * 2**20
    assert error.code == "too_many_strings"
    assert error.message == ("The workbook declares 12,000,000 distinct texts, more than the 200,000 a file may "
                             "hold: it is refused unread." if declare else
                             "The workbook holds more than 200,000 distinct texts: it is refused.")


def test_a_sheet_of_millions_of_empty_cells_is_refused_at_the_cell_limit():
    data = wb.cells_bomb(20_000_000)
    started = time.process_time()  # CPU time: a busy machine must not fail it, an unbounded reader must
    error = refused(data, name="cells.xlsx", columns=STAFF, limits=Limits(max_cells=300_000))
    assert time.process_time() - started < 10
    assert error.code == "too_many_cells"
    assert error.message == ("The sheet holds more than 300,000 cells (empty ones included): it is refused. Copy "
                             "the data to a new sheet and save that.")


def test_a_part_that_would_unpack_past_the_limit_is_refused_unread():
    data = wb.build(wb.sheet_xml([b" " * (3 * 2**20)]))
    error = refused(data, name="x.xlsx", limits=Limits(max_unpacked=2 * 2**20))
    assert error.code == "workbook_too_large" and "would unpack to 3 MB, more than the 2 MB" in error.message


def test_an_archive_listing_thousands_of_parts_is_refused_before_zipfile_reads_it():
    extra = {f"xl/media/pad{i}.bin": b"" for i in range(3000)}
    error = refused(wb.build(wb.sheet_xml([]), extra=extra), name="x.xlsx", limits=Limits(max_directory=64 * 1024))
    assert error.code == "workbook_too_large" and "more parts" in error.message


def test_a_document_type_declaration_is_refused_before_any_entity_expands():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              f'<worksheet xmlns="{wb.MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is>'
              '</c></row></sheetData></worksheet>')
    error = refused(wb.build(laughs.encode()), name="x.xlsx")
    assert error.code == "damaged_workbook" and "document type declaration" in error.message


def test_a_cell_naming_a_text_that_is_not_there_is_a_damaged_workbook():
    sheet = wb.sheet_xml([wb.inline_row(1, "claim_no", "amount"), '<row r="2"><c r="A2" t="s"><v>7</v></c></row>'])
    error = refused(wb.build(sheet, wb.shared_xml(["only one"])), name="x.xlsx")
    assert error.code == "damaged_workbook" and "cell A2 names a text that is not in the workbook" in error.message


def test_an_over_long_cell_is_refused_naming_it():
    sheet = wb.sheet_xml([wb.inline_row(1, "claim_no", "amount"), wb.inline_row(2, "A", "9" * 200_000)])
    error = refused(wb.build(sheet), name="x.xlsx")
    assert error.code == "field_too_long"
    assert error.message == "Cell B2 holds more than 131,072 characters: the file is refused."


def test_too_many_rows_is_refused_as_too_large():
    sheet = wb.sheet_xml(wb.inline_row(n, "A", "1") for n in range(1, 20))
    with pytest.raises(TooLarge) as caught:
        read(wb.build(sheet), name="x.xlsx", limits=Limits(max_lines=10))
    assert caught.value.code == "too_many_lines"


def test_a_zip_that_is_not_a_workbook_is_refused():
    assert refused(b"PK\x03\x04 not really a zip", name="x.xlsx").message == "The file is not a valid XLSX workbook."


# -- JSON -------------------------------------------------------------------------------------

def test_json_rows_keep_exact_numbers_and_their_positions():
    data = json.dumps([{"claim_no": "A", "amount": 12.5}, {"claim_no": "B", "amount": 3, "extra": 1}]).encode()
    table, rows = read(data.replace(b"12.5", b"12.50"), name="claims.json")
    assert table.format == "json" and table.unknown == []
    assert [(r.number, r.values) for r in rows] == [
        (1, {"claim_no": "A", "amount": Decimal("12.50"), "note": None}),
        (2, {"claim_no": "B", "amount": 3, "note": None})]


@pytest.mark.parametrize("text,code,message", [
    ('{"claim_no": "A"}', "invalid_json", "The JSON is not valid at line 1"),
    ('[{"claim_no": "A", "amount": 1},\n{"claim_no": ', "invalid_json", "The JSON is not valid at line 2"),
    ('[{"claim_no": "A", "amount": [1]}]', "invalid_json", "Item 1: the value of “amount” is a list"),
    ('[{"claim_no": "A", "amount": 1}, 7]', "invalid_json", "Item 2 of the list is not an object"),
    ('[{"claim_no": "A\\u0000", "amount": 1}]', "nul_byte", "Item 1: the value of “claim_no” contains a NUL"),
    ("[" + "[" * 100_000 + "]" * 100_000 + "]", "invalid_json", "The JSON is not valid at line 1"),
])
def test_bad_json_is_refused_with_where(text, code, message):
    error = refused(text.encode(), name="claims.json")
    assert error.code == code and error.message.startswith(message)
