"""The file reader the checker uses: CSV, XLSX (first sheet) or JSON rows, streamed, header mapped to keys.

INTERIM. Engineer "files" is moving one shared reader into core (core.tabular, branch `files`), with this
same interface. When it is on main, this whole module becomes:

    from core.errors import UnreadableFile  # noqa: F401
    from core.tabular import Column, Limits, Row, as_text, open_table  # noqa: F401

Until then: a small reader of the same shape. CSV in UTF-8 (with or without BOM) or GB18030, comma or
tab separated, decoded and split as it is read; XLSX with openpyxl in read-only mode (streamed); JSON as
a list of row objects, decoded one object at a time. Values: CSV gives str; XLSX str, int, float,
datetime or a formula's text; JSON what it holds (numbers as int or Decimal). Blank rows are skipped;
row numbers are the spreadsheet's (the header is row 1; for JSON the object's position from 1).
"""

import codecs
import csv
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError, TooLarge

CHUNK = 1 << 16
FIELD_LIMIT = csv.field_size_limit()


class UnreadableFile(DomainError):
    """A file that cannot be read as a table; `code` says why (as core.tabular's codes)."""

    code = "unreadable_file"
    status = 400


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Limits:
    max_bytes: int | None = None
    max_lines: int = 500_000
    max_columns: int = 64
    max_field: int = FIELD_LIMIT


@dataclass
class Row:
    number: int
    values: dict
    line: int | None = None
    cells: list = field(default_factory=list, repr=False)


def as_text(value) -> str:
    """A cell as the text a clerk would type: numbers without exponent or trailing zeros, dates as
    YYYY-MM-DD, booleans as 1/0, empty as ''."""
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
    return str(value).strip()


def normalise(header) -> str:
    return re.sub(r"[\s_\-\ufeff]", "", str(header or "")).lower()


def sniff_format(name: str, head: bytes) -> str:
    """'csv', 'xlsx' or 'json' (or 'xls'): a zip is a workbook whatever its name; else the extension;
    else the content."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    by_name = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json",
               ".xls": "xls"}.get(PurePath(name or "").suffix.lower())
    if by_name:
        return by_name
    return "json" if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{") else "csv"


def _blank(cells) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


class Table:
    """An open file: `format`, `encoding`, `columns` (key -> (index or JSON key, header as written)),
    `header_row`, `unknown` headers; then rows()."""

    def __init__(self, file, *, name: str = "", columns, limits: Limits | None = None):
        self.name = PurePath(name or getattr(file, "name", "") or "").name
        self.known = list(columns)
        self.limits = limits or Limits()
        self._aliases = {normalise(a): c.key for c in self.known for a in (c.key, *c.aliases)}
        self.columns: dict[str, tuple] = {}
        self.unknown: list[str] = []
        self.header_row: int | None = None
        self.stream = file
        limit = self.limits.max_bytes or settings.UPLOAD_MAX_BYTES
        size = getattr(file, "size", None)
        if size is not None and size > limit:
            raise TooLarge(_("The file is over the %(limit)s MB limit.") % {"limit": f"{limit / 2**20:g}"})
        file.seek(0)
        self.format = sniff_format(self.name, file.read(8))
        file.seek(0)
        if self.format == "xls":
            raise UnreadableFile(_("This is an old Excel workbook (.xls): save it as .xlsx."),
                                 code="unsupported_format")
        self._workbook = None
        self._raw = {"csv": self._csv, "xlsx": self._xlsx, "json": self._json}[self.format]()
        self._read_header()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    # -- the formats ---------------------------------------------------------------------------

    def _csv(self):
        self.encoding = self._csv_encoding()
        lines = self._decoded_lines()
        first = next(lines, "")
        delimiter = "\t" if "\t" in first and "," not in first else ","
        reader = csv.reader(_chain(first, lines), delimiter=delimiter)
        number = 0
        try:
            for record in reader:
                number += 1
                if number > self.limits.max_lines + 1:
                    raise _too_many_lines(self.limits.max_lines)
                yield number, record[: self.limits.max_columns]
        except csv.Error as exc:
            raise UnreadableFile(_("Row %(row)d cannot be read as CSV (%(detail)s): save the file as CSV again.")
                                 % {"row": number + 1, "detail": exc}, code="not_csv") from None

    def _csv_encoding(self) -> str:
        self.stream.seek(0)
        if self.stream.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        for encoding in ("utf-8", "gb18030"):
            self.stream.seek(0)
            decoder = codecs.getincrementaldecoder(encoding)()
            try:
                while chunk := self.stream.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
                return encoding
            except UnicodeDecodeError:
                continue
        raise UnreadableFile(_("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8) or XLSX again."),
                             code="encoding")

    def _decoded_lines(self):
        self.stream.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)()
        pending = ""
        while True:
            chunk = self.stream.read(CHUNK)
            pending += decoder.decode(chunk, final=not chunk)
            start = 0
            while (end := pending.find("\n", start)) >= 0:
                yield pending[start:end + 1]
                start = end + 1
            pending = pending[start:]
            if len(pending) > 4 * self.limits.max_field:
                raise UnreadableFile(_("A line of the file is longer than %(n)s characters: the file is refused.")
                                     % {"n": f"{4 * self.limits.max_field:,}"}, code="line_too_long")
            if not chunk:
                break
        if pending:
            yield pending

    def _xlsx(self):
        import zipfile

        import openpyxl

        self.encoding = "xlsx"
        try:
            with zipfile.ZipFile(self.stream) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            raise UnreadableFile(_("The file is not a valid XLSX workbook."), code="damaged_workbook") from None
        if unpacked > 2**30:
            raise UnreadableFile(_("The workbook would unpack to more than 1 GB: it is refused unread."),
                                 code="workbook_too_large")
        self.stream.seek(0)
        try:
            self._workbook = openpyxl.load_workbook(self.stream, read_only=True, data_only=False)
            sheet = self._workbook.worksheets[0]
        except Exception:  # openpyxl raises many kinds for a damaged file; the clerk needs one message
            raise UnreadableFile(_("The workbook could not be opened: save it again as XLSX."),
                                 code="damaged_workbook") from None
        for number, cells in enumerate(sheet.iter_rows(max_col=self.limits.max_columns, values_only=True), start=1):
            if number > self.limits.max_lines + 1:
                raise _too_many_lines(self.limits.max_lines)
            yield number, list(cells)

    def _json(self):
        from .limits import json_objects

        self.encoding = "utf-8"
        self.stream.seek(0)
        yield from json_objects(self.stream.read(), self.limits.max_lines)

    # -- header and rows -----------------------------------------------------------------------

    def _read_header(self) -> None:
        if self.format == "json":
            self._first = next(self._raw, None)
            if self._first is not None:
                for key in self._first[1]:
                    known = self._aliases.get(normalise(key))
                    if known is None:
                        self.unknown.append(key)
                    elif known not in self.columns:
                        self.columns[known] = (key, key)
            return
        for number, cells in self._raw:
            if _blank(cells):
                continue
            self.header_row = number
            for index, header in enumerate(cells):
                if header is None or not str(header).strip():
                    continue
                known = self._aliases.get(normalise(header))
                if known is None:
                    self.unknown.append(str(header).strip())
                elif known not in self.columns:
                    self.columns[known] = (index, str(header).strip())
            return

    def rows(self):
        """Yield a Row per non-blank data row."""
        try:
            if self.format == "json":
                items = ([self._first] if self._first else [])
                for number, item in _chain(*items, self._raw):
                    values = dict.fromkeys(c.key for c in self.known)
                    for key, value in item.items():
                        known = self._aliases.get(normalise(key))
                        if known is not None and values.get(known) is None:
                            values[known] = value.strip() if isinstance(value, str) else value
                    yield Row(number=number, values=values)
                return
            places = [(key, index) for key, (index, _header) in self.columns.items()]
            absent = dict.fromkeys(c.key for c in self.known if c.key not in self.columns)
            limit = self.limits.max_field
            text_only = self.format == "csv"
            for number, cells in self._raw:
                if text_only:
                    if not "".join(cells).strip():
                        continue
                    if max(map(len, cells), default=0) > limit:
                        raise _field_too_long(number, limit)
                elif _blank(cells):
                    continue
                width = len(cells)
                values = {key: _cell(cells[index], number, limit) if index < width else None for key, index in places}
                if absent:
                    values.update(absent)
                yield Row(number=number, values=values)
        finally:
            self.close()


def _cell(value, number: int, limit: int):
    if isinstance(value, str):
        if len(value) > limit:
            raise _field_too_long(number, limit)
        return value.strip()
    return value


def _field_too_long(number: int, limit: int) -> UnreadableFile:
    return UnreadableFile(_("Row %(row)d has a value longer than %(n)s characters: the file is refused.")
                          % {"row": number, "n": f"{limit:,}"}, code="field_too_long")


def _chain(*parts):
    """The first items, then the rest of an iterator (the last part)."""
    *firsts, rest = parts
    yield from firsts
    yield from rest


def _too_many_lines(limit: int) -> TooLarge:
    return TooLarge(_("The file has more than %(n)s lines: split it into several files.") % {"n": f"{limit:,}"},
                    code="too_many_lines")


def open_table(file, **options) -> Table:
    return Table(file, **options)
