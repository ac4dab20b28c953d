"""open_table: one entry point for a CSV, XLSX or JSON upload, with its header mapped to keys."""

import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import UnreadableFile

from . import csvfile, jsonfile, xlsx
from .base import Limits, Row, blank, column_letter, refuse, too_large

CSV, XLSX, JSON = "csv", "xlsx", "json"
SUFFIXES = {".csv": CSV, ".txt": CSV, ".tsv": CSV, ".xlsx": XLSX, ".xlsm": XLSX, ".json": JSON, ".xls": "xls"}
NAMES = {CSV: "CSV", XLSX: "XLSX", JSON: "JSON"}


class MissingColumns(UnreadableFile):
    """The header row lacks required columns (or no row within the first few is a header).
    `encoding` says how the file was read."""

    code = "missing_columns"
    encoding = ""


@dataclass(frozen=True)
class Column:
    """A column the caller knows: its key, the header names accepted for it (compared without
    spaces, underscores, hyphens and case; the key itself is always accepted), and whether the
    header must have it."""

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = True

    @property
    def label(self) -> str:
        return self.aliases[0] if self.aliases else self.key


def normalise(header) -> str:
    return re.sub(r"[\s_\-\ufeff]", "", str(header or "")).lower()


def sniff_format(name: str, head: bytes) -> str:
    """'csv', 'xlsx', 'json' or 'xls': a zip is a workbook whatever its name, an OLE2 file an old
    (or password-protected) workbook; else the name's extension; else the content."""
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    by_name = SUFFIXES.get(PurePath(name or "").suffix.lower())
    if by_name:
        return by_name
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return JSON if text[:1] in (b"[", b"{") else CSV


def _stream(file, limit: int, name: str):
    """A seekable binary stream over the upload, and its size; refuses one over the limit unread."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        if len(file) > limit:
            raise too_large(name, len(file), limit)
        return io.BytesIO(bytes(file))
    size = getattr(file, "size", None)
    seekable = getattr(file, "seekable", lambda: False)()
    if size is None and seekable:
        file.seek(0, 2)
        size = file.tell()
    if size is not None and size > limit:
        raise too_large(name, size, limit)
    if seekable:
        file.seek(0)
        return file
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115 (closed with the table)
    copied = 0
    while chunk := file.read(1 << 16):
        copied += len(chunk)
        if copied > limit:
            raise too_large(name, copied, limit)
        spool.write(chunk)
    spool.seek(0)
    return spool


class Table:
    """An open file: `format`, `encoding`, the header (`header_row`, `header_cells` as read,
    `columns`: key -> (index, header as written), `unknown`: headers that are no known column),
    then `rows()`."""

    def __init__(self, file, *, name: str = "", columns, limits: Limits | None = None,
                 formats=(CSV, XLSX, JSON), header_search: int = 1, stop_after_blank: int | None = None,
                 delimiter: str | None = None):
        self.name = PurePath(name or getattr(file, "name", "") or "").name
        self.known = list(columns)
        self.limits = limits or Limits()
        self.stop_after_blank = stop_after_blank
        self.header_search = header_search
        self.columns: dict[str, tuple] = {}
        self.unknown: list[str] = []
        self.header_row: int | None = None
        self.header_cells: list = []
        self.stopped_at: int | None = None
        self.encoding = ""
        self._workbook = None
        self._aliases = {normalise(a): c.key for c in self.known for a in (c.key, *c.aliases)}
        limit = self.limits.max_bytes or settings.UPLOAD_MAX_BYTES
        self.stream = _stream(file, limit, self.name)
        head = self.stream.read(8)
        self.stream.seek(0)
        self.format = sniff_format(self.name, head)
        if self.format == "xls":
            raise refuse("unsupported_format", _("This is an old Excel workbook (.xls) or one protected by a "
                                                 "password: save it as .xlsx (Excel 2007 or later), without a "
                                                 "password."))
        if self.format not in formats:
            raise refuse("unsupported_format", _("A %(found)s file cannot be read here: upload %(accepted)s.")
                         % {"found": NAMES[self.format], "accepted": " / ".join(NAMES[f] for f in formats)})
        if self.format == CSV:
            self.encoding = csvfile.detect_encoding(self.stream, self.limits)
            self._raw = csvfile.read_rows(self.stream, self.encoding, self.limits, delimiter)
        elif self.format == XLSX:
            self.encoding = XLSX
            self._workbook = xlsx.Workbook(self.stream, self.limits)
            self._raw = ((number, None, cells) for number, cells in self._workbook.rows())
        else:
            self.encoding = "utf-8"
            self._raw = jsonfile.read_objects(self.stream, self.limits)
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    # -- the header ------------------------------------------------------------------------------

    def _map(self, headers) -> tuple[dict, list[str]]:
        found: dict[str, tuple] = {}
        unknown = []
        for index, header in enumerate(headers):
            if header is None or (isinstance(header, str) and not header.strip()):
                continue
            key = self._aliases.get(normalise(header))
            if key is None:
                unknown.append(str(header).strip())
            elif key not in found:
                found[key] = (index, str(header).strip())
        return found, unknown

    def _missing(self, found: dict) -> list:
        return [c for c in self.known if c.required and c.key not in found]

    def _read_header(self) -> None:
        if self.format == JSON:
            self._first = next(self._raw, None)
            if self._first is None:
                raise refuse("empty_file", _("The file is empty."))
            self.columns, self.unknown = self._map_keys(self._first[1])
            self.header_row, self.header_cells = None, list(self._first[1])
            if missing := self._missing(self.columns):
                raise self._missing_error(missing, 1)
            return
        first_try = None
        tried = 0
        for number, _line, cells in self._raw:
            if blank(cells):
                continue
            found, unknown = self._map(cells)
            missing = self._missing(found)
            if not missing:
                self.columns, self.unknown, self.header_row = found, unknown, number
                self.header_cells = list(cells)
                return
            first_try = first_try or (number, missing)
            tried += 1
            if tried >= self.header_search:
                break
        if first_try is None:
            raise refuse("empty_file", _("The file is empty."))
        raise self._missing_error(first_try[1], first_try[0])

    def _map_keys(self, item: dict) -> tuple[dict, list[str]]:
        found, unknown = {}, []
        for key in item:
            known = self._aliases.get(normalise(key))
            if known is None:
                unknown.append(key)
            elif known not in found:
                found[known] = (key, key)
        return found, unknown

    def _missing_error(self, missing, row: int) -> MissingColumns:
        errors = []
        for column in missing:
            if len(column.aliases) > 1:
                message = _("No column “%(name)s” in the header row (accepted: %(aliases)s).") % {
                    "name": column.label, "aliases": ", ".join(column.aliases[:4])}
            else:
                message = _("No column “%(name)s” in the header row.") % {"name": column.label}
            errors.append({"row": row, "column": "", "message": message})
        error = MissingColumns(_("The header row lacks %(n)d required column(s): %(names)s.") % {
            "n": len(missing), "names": ", ".join(c.label for c in missing)}, errors=errors)
        error.encoding = self.encoding
        return error

    def header_of(self, key_or_index) -> str:
        """The header as written for a key (or a column index), else the column letter."""
        if key_or_index in self.columns:
            return self.columns[key_or_index][1]
        for index, header in self.columns.values():
            if index == key_or_index:
                return header
        return column_letter(key_or_index) if isinstance(key_or_index, int) else str(key_or_index)

    # -- the rows --------------------------------------------------------------------------------

    def rows(self):
        """Yield a Row per non-blank data row. Raises UnreadableFile or TooLarge where the file
        turns out bad further down (nothing after that point has been read)."""
        try:
            if self.format == JSON:
                yield from self._json_rows()
                return
            last = self.header_row or 0
            for number, line, cells in self._raw:
                if self.stop_after_blank and number - last > self.stop_after_blank:
                    self.stopped_at = last + self.stop_after_blank
                    return
                if blank(cells):
                    continue
                last = number
                values = dict.fromkeys(c.key for c in self.known)
                for key, (index, _header) in self.columns.items():
                    value = cells[index] if index < len(cells) else None
                    values[key] = value.strip() if isinstance(value, str) else value
                yield Row(number=number, values=values, line=line, cells=cells)
        finally:
            self.close()

    def _json_rows(self):
        if self._first:
            yield self._json_row(*self._first)
        for number, item in self._raw:
            yield self._json_row(number, item)

    def _json_row(self, number: int, item: dict) -> Row:
        values = {c.key: None for c in self.known}
        for key, value in item.items():
            known = self._aliases.get(normalise(key))
            if known is not None and values.get(known) is None:
                values[known] = value.strip() if isinstance(value, str) else value
        return Row(number=number, values=values, cells=list(item.values()))


def open_table(file, **options) -> Table:
    """Open an upload (bytes or a binary file) as a table; see Table and core.tabular."""
    return Table(file, **options)
