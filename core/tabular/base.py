"""What every reader shares: the limits, a row, a formula cell, and the errors with their codes."""

import csv
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import TooLarge, UnreadableFile

# Python's csv module refuses a longer field; every reader keeps to the same limit.
FIELD_LIMIT = csv.field_size_limit()


@dataclass(frozen=True)
class Limits:
    """How much a file may hold. Each limit is checked while reading, before what it guards is
    expanded: the size before the first byte is read, CSV lines in a first pass over the bytes,
    an XLSX's unpacked size from its directory, its strings and cells as they are parsed."""

    max_bytes: int | None = None  # the file itself; None: settings.UPLOAD_MAX_BYTES
    max_lines: int = 500_000  # CSV physical lines, XLSX rows, JSON objects
    max_columns: int = 64  # columns read per row; cells further right are ignored (but counted)
    max_field: int = FIELD_LIMIT  # characters in one field or cell
    max_record: int = 4 * FIELD_LIMIT  # characters in one CSV record (all its lines)
    max_cells: int = 20_000_000  # XLSX cell and row elements parsed (empty ones too)
    max_shared_strings: int = 1_000_000  # XLSX shared strings (a workbook's distinct texts)
    max_text: int = 256 * 2**20  # characters of all shared strings together
    max_unpacked: int = 2**30  # bytes of all the XLSX archive's members unpacked
    max_directory: int = 4 * 2**20  # bytes of the XLSX archive's directory (about 40,000 members)


@dataclass
class Row:
    """One data row. `number` is the row as a spreadsheet numbers it (the header is usually 1;
    for JSON the object's position in the list, from 1); `line` the physical line a CSV record
    starts on. `values` maps each known column's key to the cell (None: empty or no such column)."""

    number: int
    values: dict
    line: int | None = None
    cells: list = field(default_factory=list, repr=False)  # the row as read, every column


@dataclass(frozen=True)
class Formula:
    """An XLSX cell holding a formula: its text (=SUM(A1:A3)) and the value the writer cached
    (None when it cached none). Readers hand it over as is: whether to refuse it is the caller's."""

    text: str
    value: object = None

    def __str__(self) -> str:
        return self.text


def as_text(value) -> str:
    """A cell as the text a clerk would type: numbers without exponent or trailing zeros, dates
    as YYYY-MM-DD, booleans as 1/0, empty as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(value.to_integral_value())
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Formula):
        return value.text
    return str(value).strip()


def blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- the errors: each a stable code and a message a clerk can act on -----------------------------

def refuse(code: str, message, *, row=None, column="") -> UnreadableFile:
    return UnreadableFile(message, code=code, errors=[{"row": row, "column": column, "message": message}])


def too_large(name: str, size: int, limit: int) -> TooLarge:
    return TooLarge(_("The file “%(name)s” is %(size)s MB; the limit is %(limit)s MB.") % {
        "name": name, "size": f"{size / 2**20:.1f}", "limit": f"{limit / 2**20:g}"})


def too_many_lines(limit: int, what: str = "lines") -> TooLarge:
    message = (_("The file has more than %(n)s lines: split it into several files.") if what == "lines" else
               _("The file has more than %(n)s rows: split it into several files."))
    return TooLarge(message % {"n": f"{limit:,}"}, code="too_many_lines")


def nul_byte(line: int) -> UnreadableFile:
    return refuse("nul_byte", _("Line %(line)d contains a NUL byte, which no text file holds: save the file "
                                "again as CSV or XLSX.") % {"line": line}, row=line)


def field_too_long(line: int, limit: int = FIELD_LIMIT, column: str = "") -> UnreadableFile:
    return refuse("field_too_long", _("Line %(line)d has a field longer than %(limit)s characters: the file is "
                                      "refused.") % {"line": line, "limit": f"{limit:,}"}, row=line, column=column)


def cell_too_long(row: int, column: str, limit: int) -> UnreadableFile:
    return refuse("field_too_long", _("Cell %(cell)s holds more than %(limit)s characters: the file is refused.")
                  % {"cell": f"{column}{row}", "limit": f"{limit:,}"}, row=row, column=column)
