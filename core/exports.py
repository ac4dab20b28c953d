"""Exports of lists as CSV or XLSX: streamed, in constant memory, safe to open in a spreadsheet.

- CSV is UTF-8 with a byte-order mark, which is what makes Excel read Chinese as UTF-8 rather than
  the system's GBK; rows are written one at a time through a StreamingHttpResponse.
- XLSX uses openpyxl's write-only workbook, which writes each row to a temporary file as it comes;
  the finished file is streamed from disk.
- Formula injection ("CSV injection", OWASP): a text cell that begins with = + - @ (or their
  full-width forms), a tab or a line break is run as a formula by Excel and LibreOffice. Such a cell
  is written with a leading apostrophe. Numbers and dates stay typed and are left alone.

Callers pass headers and an iterable of rows (a QuerySet's .iterator() for big lists) and must
have masked personal data already (core.masking).
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_CELL = 32767  # Excel's limit on the characters in one cell
BOM = "\ufeff"


def neutralise(value):
    """The cell as it may be written: text that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.lstrip(" ").startswith(FORMULA_TRIGGERS):
            return "'" + value
        return value
    if isinstance(value, bool | int | float | Decimal | date):  # datetime is a date
        return value
    return neutralise(str(value))


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _csv_text(value) -> str:
    value = _local(neutralise(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(headers: Sequence, rows: Iterable[Sequence]) -> Iterator[str]:
    """The CSV file as lines: BOM and header first, then one line per row, as the rows come."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([_csv_text(str(h)) for h in headers])
    for row in rows:
        yield writer.writerow([_csv_text(v) for v in row])


def _xlsx_cell(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _local(neutralise(value))
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL]
    return value


def write_xlsx(target, *, headers: Sequence, rows: Iterable[Sequence], sheet_title: str = "") -> None:
    """Write an XLSX workbook with one sheet to a path or binary file object, row by row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_title or "Sheet1")[:31])
    sheet.append([_xlsx_cell(str(h)) for h in headers])
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    workbook.save(target)


def csv_response(*, filename: str, headers: Sequence, rows: Iterable[Sequence]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    response["Cache-Control"] = "no-store"
    return response


def xlsx_response(*, filename: str, headers: Sequence, rows: Iterable[Sequence],
                  sheet_title: str = "") -> FileResponse:
    spool = tempfile.TemporaryFile()  # removed when the response closes it
    write_xlsx(spool, headers=headers, rows=rows, sheet_title=sheet_title)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def export_response(fmt: str, *, filename: str, headers: Sequence, rows: Iterable[Sequence],
                    sheet_title: str = ""):
    """A download of the rows in the format asked for ('csv' or 'xlsx')."""
    if fmt == "xlsx":
        return xlsx_response(filename=filename, headers=headers, rows=rows, sheet_title=sheet_title)
    if fmt == "csv":
        return csv_response(filename=filename, headers=headers, rows=rows)
    raise ValueError(f"unknown export format {fmt!r}")
