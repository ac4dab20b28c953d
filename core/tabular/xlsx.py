"""The first sheet of an XLSX workbook, streamed and bounded.

An XLSX is a zip of XML parts, and a small file can unpack to a great deal: 488 KB of zip can
declare twelve million shared strings. So nothing is expanded before it is counted:

- the zip's directory is measured from its end record before zipfile reads it (a directory of a
  million members is refused unread), and the members' declared sizes (which zipfile enforces
  while unpacking) are summed against max_unpacked;
- every XML part is parsed by expat as a stream, with no DTD and no entity declarations allowed;
  the shared strings are counted as they are parsed (a `uniqueCount` over the limit is refused at
  once; a false one does not help, the count is checked string by string), and so are their
  characters; the sheet's cells are counted as they are parsed, each cell's text is bounded, and
  rows are handed over as they come, so that a caller who stops reading stops the parsing;
- XML that does not parse, a cell that names a shared string that is not there, a number that is
  not one: a damaged workbook, with the row where it was found.

Values: text as str; numbers as int (whole) or Decimal (exact, never float); a number in a cell
formatted as a date as datetime.date (datetime.datetime when it has a time of day); booleans as
bool; a formula as core.tabular.Formula (its text and cached value); an error cell (#N/A) as its
text.
"""

import datetime
import pyexpat
import re
import struct
import zipfile
import zlib
from array import array
from collections import deque
from decimal import Decimal, InvalidOperation
from io import StringIO
from posixpath import dirname, join, normpath

from django.utils.translation import gettext as _

from .base import Formula, Limits, cell_too_long, column_letter, refuse, too_many_lines

CHUNK = 1 << 16
SMALL_PART_ELEMENTS = 2_000_000  # elements of the workbook, relationship and style parts
_INTEGER = re.compile(r"-?\d{1,30}$")
# Built-in number formats that show a date or time; 27-36 and 50-58 are the East Asian ones
# (yyyy"年"m"月"d"日" and the like) that openpyxl's table leaves out.
_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
# What zipfile raises on a damaged or hostile archive (NotImplementedError: a compression method it does
# not support; RuntimeError: an encrypted member): each becomes the file's clear refusal, never a 500.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
               RuntimeError, ValueError, struct.error)


def damaged(detail: str = "", *, row=None) -> Exception:
    if row:
        message = _("The workbook is damaged near row %(row)d (%(detail)s): open it in Excel or WPS and save it "
                    "again as XLSX.") % {"row": row, "detail": detail}
    else:
        message = _("The workbook is damaged (%(detail)s): open it in Excel or WPS and save it again as XLSX.") % {
            "detail": detail}
    return refuse("damaged_workbook", message, row=row)


def not_a_workbook() -> Exception:
    return refuse("damaged_workbook", _("The file is not a valid XLSX workbook."))


_LOCAL: dict[str, str] = {}


def _local(name: str) -> str:
    """c for c, x:c (a prefixed writer) or {namespace}c."""
    local = _LOCAL.get(name)
    if local is None:
        local = name.rpartition(":")[2].rpartition("}")[2]
        if len(_LOCAL) < 10_000:
            _LOCAL[name] = local
    return local


def _no_dtd(*_args):
    raise refuse("damaged_workbook", _("The workbook holds a document type declaration, which no XLSX writer "
                                       "produces: it is refused."))


def _parser(start, end=None, text=None):
    parser = pyexpat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def check_directory(stream, limits: Limits) -> None:
    """Refuse an archive whose directory is larger than max_directory, before zipfile reads it."""
    stream.seek(0, 2)
    size = stream.tell()
    tail_size = min(size, 22 + 65535)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise not_a_workbook()
    directory = struct.unpack_from("<L", tail, at + 12)[0]
    if directory == 0xFFFFFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        offset = struct.unpack_from("<Q", tail, at - 20 + 8)[0]
        stream.seek(offset)
        record = stream.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise not_a_workbook()
        directory = struct.unpack_from("<Q", record, 40)[0]
    if directory > limits.max_directory:
        raise refuse("workbook_too_large", _("The workbook's archive lists more parts than any spreadsheet has: it "
                                             "is refused unread."))
    stream.seek(0)


class Workbook:
    """Opens the archive and reads what the sheet needs (relationships, date styles, shared
    strings), all bounded; `rows()` then streams the first sheet."""

    def __init__(self, stream, limits: Limits):
        self.limits = limits
        check_directory(stream, limits)
        try:
            self.zip = zipfile.ZipFile(stream)
            infos = self.zip.infolist()
        except _ZIP_ERRORS:
            raise not_a_workbook() from None
        try:
            unpacked = sum(info.file_size for info in infos)
            if unpacked > limits.max_unpacked:
                raise refuse("workbook_too_large", _(
                    "The workbook would unpack to %(mb)d MB, more than the %(limit)d MB allowed: it is refused "
                    "unread.") % {"mb": unpacked // 2**20, "limit": limits.max_unpacked // 2**20})
            self._names = {info.filename.lower(): info.filename for info in infos}
            try:
                self._read_structure()
            except _ZIP_ERRORS as exc:
                raise damaged(str(exc)[:200]) from None
        except BaseException:
            self.zip.close()
            raise

    def close(self) -> None:
        self.zip.close()

    # -- the parts ---------------------------------------------------------------------------

    def _member(self, path: str) -> str | None:
        return self._names.get(path.lstrip("/").lower())

    def _parse(self, path: str, parser, what: str) -> None:
        with self.zip.open(self._member(path)) as member:
            try:
                while chunk := member.read(CHUNK):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
            except pyexpat.ExpatError as exc:
                raise damaged(f"{what}: {pyexpat.ErrorString(exc.code)}, line {exc.lineno}") from None

    def _parse_small(self, path: str, on_element, what: str) -> None:
        """Parse a small part, calling on_element(local name, attributes) for each element."""
        count = 0

        def start(name, attrs):
            nonlocal count
            count += 1
            if count > SMALL_PART_ELEMENTS:
                raise refuse("workbook_too_large", _("The workbook's %(part)s part holds more than %(n)s elements: "
                                                     "it is refused.") % {"part": what, "n": f"{count - 1:,}"})
            on_element(_local(name), {_local(k): v for k, v in attrs.items()})

        self._parse(path, _parser(start), what)

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id -> (type's last segment, target path) for a part's relationships."""
        rels_path = join(dirname(part), "_rels", part.rpartition("/")[2] + ".rels")
        found: dict[str, tuple[str, str]] = {}
        if self._member(rels_path) is None:
            return found

        def on_element(tag, attrs):
            if tag == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(part), target))
                found[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2], path)

        self._parse_small(rels_path, on_element, "relationships")
        return found

    def _read_structure(self) -> None:
        package = self._relationships("")
        workbook = next((path for kind, path in package.values() if kind == "officeDocument"), "xl/workbook.xml")
        if self._member(workbook) is None:
            raise not_a_workbook()
        rels = self._relationships(workbook)
        sheets: list[str] = []
        self.epoch = datetime.datetime(1899, 12, 30)

        def on_workbook(tag, attrs):
            if tag == "sheet":
                sheets.append(attrs.get("id", ""))
            elif tag == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                self.epoch = datetime.datetime(1904, 1, 1)

        self._parse_small(workbook, on_workbook, "workbook")
        sheet = rels.get(sheets[0]) if sheets else None
        if sheet is None or self._member(sheet[1]) is None:
            raise damaged(_("the first sheet is missing"))
        self.sheet_path = sheet[1]
        by_kind = {kind: path for kind, path in rels.values()}
        self.date_styles = self._date_styles(by_kind.get("styles"))
        self.shared = self._shared_strings(by_kind.get("sharedStrings"))

    def _date_styles(self, path: str | None) -> frozenset[int]:
        """The indexes of the cell formats that show a number as a date or time."""
        if not path or self._member(path) is None:
            return frozenset()
        from openpyxl.styles.numbers import is_date_format

        custom: dict[int, str] = {}
        formats: list[int] = []
        depth = {"cellXfs": False}

        def on_element(tag, attrs):
            if tag == "numFmt":
                custom[_int(attrs.get("numFmtId"), -1)] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                depth["cellXfs"] = True
            elif tag == "cellStyleXfs":
                depth["cellXfs"] = False
            elif tag == "xf" and depth["cellXfs"]:
                formats.append(_int(attrs.get("numFmtId"), 0))

        self._parse_small(path, on_element, "styles")
        dates = set()
        for index, fmt in enumerate(formats):
            if fmt in custom:
                if is_date_format(custom[fmt]):
                    dates.add(index)
            elif fmt in _DATE_FORMATS:
                dates.add(index)
        return frozenset(dates)

    def _shared_strings(self, path: str | None) -> "_Strings":
        strings = _Strings()
        if not path or self._member(path) is None:
            return strings
        limits = self.limits
        state = {"depth_rph": 0, "in_t": False, "length": 0}
        parts: list[str] = []
        count = 0

        def too_many(declared=None):
            if declared is None:
                message = _("The workbook holds more than %(limit)s distinct texts: it is refused.")
            else:
                message = _("The workbook declares %(n)s distinct texts, more than the %(limit)s a file may hold: "
                            "it is refused unread.")
            return refuse("too_many_strings", message % {"n": f"{declared or 0:,}",
                                                         "limit": f"{limits.max_shared_strings:,}"})

        def start(name, attrs):
            tag = _local(name)
            if tag == "t":
                state["in_t"] = not state["depth_rph"]
            elif tag == "si":
                parts.clear()
                state["length"] = 0
            elif tag == "rPh":
                state["depth_rph"] += 1
            elif tag == "sst":
                declared = _int(attrs.get("uniqueCount"), 0)
                if declared > limits.max_shared_strings:
                    raise too_many(declared)

        def end(name):
            nonlocal count
            tag = _local(name)
            if tag == "t":
                state["in_t"] = False
            elif tag == "si":
                count += 1
                if count > limits.max_shared_strings:
                    raise too_many()
                strings.add("".join(parts))
                if strings.chars > limits.max_text:
                    raise refuse("too_many_strings", _(
                        "The workbook's texts hold more than %(limit)s characters together: it is refused.")
                        % {"limit": f"{limits.max_text:,}"})
            elif tag == "rPh":
                state["depth_rph"] -= 1

        def text(data):
            if state["in_t"]:
                state["length"] += len(data)
                if state["length"] > limits.max_field:
                    raise refuse("field_too_long", _(
                        "Text number %(n)s of the workbook holds more than %(limit)s characters: the file is "
                        "refused.") % {"n": f"{count + 1:,}", "limit": f"{limits.max_field:,}"})
                parts.append(data)

        self._parse(path, _parser(start, end, text), "sharedStrings")
        strings.seal()
        return strings

    # -- the sheet -----------------------------------------------------------------------------

    def rows(self):
        """Yield (row number, [values]) for each row element of the first sheet, in order."""
        sheet = _Sheet(self)
        parser = _parser(sheet.start, sheet.end, sheet.text)
        try:
            with self.zip.open(self._member(self.sheet_path)) as member:
                while True:
                    try:
                        chunk = member.read(CHUNK)
                        parser.Parse(chunk, not chunk)
                    except pyexpat.ExpatError as exc:
                        raise damaged(f"{pyexpat.ErrorString(exc.code)}, line {exc.lineno}",
                                      row=sheet.row_number or 1) from None
                    except _ZIP_ERRORS as exc:
                        raise damaged(str(exc)[:200], row=sheet.row_number or 1) from None
                    while sheet.ready:
                        yield sheet.ready.popleft()
                    if not chunk:
                        return
        except _ZIP_ERRORS as exc:
            raise damaged(str(exc)[:200]) from None


def _int(value, default: int) -> int:
    try:
        return int(value) if value is not None and len(value) < 20 else default
    except ValueError:
        return default


class _Strings:
    """The shared strings in one text buffer with their offsets: a few bytes each, not a Python
    object each (a million strings take tens of MB, not hundreds)."""

    def __init__(self):
        self._buffer = StringIO()
        self._offsets = array("q", [0])
        self.chars = 0
        self._text = ""

    def add(self, text: str) -> None:
        self._buffer.write(text)
        self.chars += len(text)
        self._offsets.append(self.chars)

    def seal(self) -> None:
        self._text = self._buffer.getvalue()
        self._buffer = StringIO()

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._text[self._offsets[index]:self._offsets[index + 1]]


class _Sheet:
    """The expat handlers for a worksheet: a small state machine that counts every cell."""

    def __init__(self, workbook: Workbook):
        self.workbook = workbook
        self.limits = workbook.limits
        self.ready: deque = deque()
        self.row_number = 0
        self.values: list | None = None
        self.elements = 0
        self.next_column = 0
        # the current cell
        self.column = 0
        self.kind = "n"
        self.style = None
        self.collect = None  # "v", "f" or "t" while inside one
        self.parts: list[str] = []
        self.length = 0
        self.value_text = None
        self.formula = None
        self.inline: list[str] | None = None
        self.rph = 0

    def _count(self) -> None:
        self.elements += 1
        if self.elements > self.limits.max_cells:
            raise refuse("too_many_cells", _(
                "The sheet holds more than %(n)s cells (empty ones included): it is refused. Copy the data to a new "
                "sheet and save that.") % {"n": f"{self.limits.max_cells:,}"}, row=self.row_number or None)

    def start(self, name, attrs):
        tag = _LOCAL.get(name) or _local(name)
        if tag == "c":
            self._count()
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip("0123456789")
                column = _COLUMNS.get(letters)
                self.column = column if column is not None else _column_index(letters)
            else:
                self.column = self.next_column
            self.next_column = self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s")
            self.value_text = self.formula = self.inline = None
        elif tag == "v" or tag == "f":
            self.collect, self.parts, self.length = tag, [], 0
        elif tag == "t":
            if self.inline is not None and not self.rph:
                self.collect, self.parts, self.length = tag, [], 0
        elif tag == "is":
            self.inline = []
        elif tag == "rPh":
            self.rph += 1
        elif tag == "row":
            self._count()
            if self.row_number >= self.limits.max_lines:
                raise too_many_lines(self.limits.max_lines, "rows")
            number = _int(attrs.get("r"), 0)
            self.row_number = number if number > self.row_number else self.row_number + 1
            self.values = []
            self.next_column = 0

    def text(self, data):
        if self.collect:
            self.length += len(data)
            if self.length > self.limits.max_field:
                raise cell_too_long(self.row_number, column_letter(self.column), self.limits.max_field)
            self.parts.append(data)

    def end(self, name):
        tag = _LOCAL.get(name) or _local(name)
        if tag == "v" and self.collect == "v":
            self.value_text, self.collect = "".join(self.parts), None
        elif tag == "f" and self.collect == "f":
            self.formula, self.collect = "".join(self.parts), None
        elif tag == "t" and self.collect == "t":
            self.inline.append("".join(self.parts))
            self.collect = None
        elif tag == "rPh":
            self.rph -= 1
        elif tag == "c":
            if self.values is not None and self.column < self.limits.max_columns:
                value = self._value()
                if self.formula is not None:
                    value = Formula("=" + self.formula, value)
                values = self.values
                if len(values) < self.column:
                    values.extend([None] * (self.column - len(values)))
                if len(values) == self.column:
                    values.append(value)
                else:
                    values[self.column] = value
        elif tag == "row":
            self.ready.append((self.row_number, self.values or []))
            self.values = None

    def _where(self) -> str:
        return f"{column_letter(self.column)}{self.row_number}"

    def _value(self):
        kind, text = self.kind, self.value_text
        if kind == "inlineStr":
            return "".join(self.inline or [])
        if text is None:
            return None
        if kind == "s":
            try:
                return self.workbook.shared[int(text)]
            except (ValueError, IndexError):
                raise damaged(_("cell %(cell)s names a text that is not in the workbook") % {"cell": self._where()},
                              row=self.row_number) from None
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                moment = datetime.datetime.fromisoformat(text.strip())
            except ValueError:
                raise damaged(_("cell %(cell)s holds a date that is not one") % {"cell": self._where()},
                              row=self.row_number) from None
            return moment.date() if moment.time() == datetime.time() else moment
        text = text.strip()
        if not text:
            return None
        try:
            number = int(text) if _INTEGER.match(text) else Decimal(text)
        except (ValueError, InvalidOperation):
            raise damaged(_("cell %(cell)s holds a number that is not one") % {"cell": self._where()},
                          row=self.row_number) from None
        if isinstance(number, Decimal) and not number.is_finite():
            raise damaged(_("cell %(cell)s holds a number that is not one") % {"cell": self._where()}, row=self.row_number)
        if self.style is not None and _int(self.style, -1) in self.workbook.date_styles:
            return _as_date(number, self.workbook.epoch)
        return number


def _column_index(letters: str) -> int:
    """A -> 0, AA -> 26; a reference beyond XFD (or no letters) is a damaged workbook."""
    index = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z" or index > 16384:
            raise damaged(_("a cell reference is not one"))
        index = index * 26 + ord(ch) - 64
    if not 0 < index <= 16384:
        raise damaged(_("a cell reference is not one"))
    if len(_COLUMNS) < 20_000:
        _COLUMNS[letters] = index - 1
    return index - 1


_COLUMNS: dict[str, int] = {}


def _as_date(number, epoch: datetime.datetime):
    """A serial day number as a date (a datetime with a time of day, a time below 1); the number
    itself when it cannot be one."""
    from openpyxl.utils.datetime import from_excel

    try:
        moment = from_excel(float(number), epoch)
    except (OverflowError, ValueError):
        return number
    if isinstance(moment, datetime.datetime) and moment.time() == datetime.time():
        return moment.date()
    return moment
