"""What the upload request itself checks, before the file is kept and long before it is read row by row.

spec/claims-upload.md: 50 MB and 500,000 lines a file, "over that, a clear refusal before reading the
whole file". The size is known before a byte is read. Lines are counted over the raw bytes, stopping as
soon as there are too many: a CSV's line breaks; an XLSX's row elements in its first sheet, decompressed
as a stream and never parsed or held whole (the archive's directory is checked first, so a zip bomb is
refused unread); a JSON file's objects, decoded one at a time, which also refuses (400) anything that is
not a list of row objects. A CSV's encoding is settled in the same pass (UTF-8, else GB18030).
"""

import codecs
import json
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from core.errors import TooLarge

from .table import FIELD_LIMIT, UnreadableFile, sniff_format

CHUNK = 1 << 20
XLSX_MAX_UNPACKED = 2**30
XLSX_MAX_PART = 8 * 2**20  # workbook.xml and its relations: small files, read whole
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_SCALARS = (str, int, Decimal, bool, type(None))


@dataclass(frozen=True)
class Inspected:
    format: str  # csv, xlsx, json
    encoding: str
    lines: int  # physical lines (CSV), rows (XLSX) or objects (JSON), the header included where there is one


def too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(_("The file is %(size)s MB; the limit is %(limit)s MB: split it into several files.")
                    % {"size": f"{size / 2**20:.1f}", "limit": f"{limit / 2**20:g}"})


def too_many_lines(limit: int) -> TooLarge:
    return TooLarge(_("The file has more than %(n)s claim lines: split it into several files.")
                    % {"n": f"{limit:,}"}, code="too_many_lines")


def inspect_upload(stream, *, name: str, size: int, max_bytes: int, max_lines: int) -> Inspected:
    """Refuse a file over the limits (TooLarge, 413) or unreadable as claims (UnreadableFile, 400)."""
    if size > max_bytes:
        raise too_large(size, max_bytes)
    stream.seek(0)
    fmt = sniff_format(name, stream.read(8))
    stream.seek(0)
    if fmt == "xls":
        raise UnreadableFile(_("This is an old Excel workbook (.xls) or one protected by a password: save it as "
                               ".xlsx (Excel 2007 or later), without a password."), code="unsupported_format")
    if size == 0:
        raise UnreadableFile(_("The file is empty."), code="empty_file")
    inspect = {"csv": _csv, "xlsx": _xlsx, "json": _json}[fmt]
    encoding, lines = inspect(stream, max_lines)
    stream.seek(0)
    return Inspected(format=fmt, encoding=encoding, lines=lines)


# -- CSV -----------------------------------------------------------------------------------------

def _csv(stream, max_lines: int) -> tuple[str, int]:
    """The encoding and the physical lines. A line break (0x0A) never occurs inside a multi-byte
    character of UTF-8 or GB18030, so counting bytes counts lines."""
    head = stream.read(3)
    candidates = ("utf-8-sig",) if head == codecs.BOM_UTF8 else ("utf-8", "gb18030")
    for encoding in candidates:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        lines, last = 0, b"\n"
        try:
            while chunk := stream.read(CHUNK):
                if b"\x00" in chunk:  # UTF-16 without its BOM, or not text at all
                    raise UnreadableFile(_("The file contains NUL bytes, which no CSV text holds: save it as CSV "
                                           "(UTF-8) or XLSX again."), code="nul_byte")
                decoder.decode(chunk)
                lines += chunk.count(b"\n")
                last = chunk[-1:]
                if lines > max_lines + 1:  # the header and max_lines claim lines
                    raise too_many_lines(max_lines)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, lines + (last != b"\n")
    raise UnreadableFile(_("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8) or XLSX again."),
                         code="encoding")


# -- XLSX ----------------------------------------------------------------------------------------

def _xlsx(stream, max_lines: int) -> tuple[str, int]:
    damaged = UnreadableFile(_("The workbook could not be opened: save it again as XLSX."), code="damaged_workbook")
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError):
        raise damaged from None
    with archive:
        if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNPACKED:
            raise UnreadableFile(_("The workbook would unpack to more than %(n)s GB: it is refused unread.")
                                 % {"n": XLSX_MAX_UNPACKED // 2**30}, code="workbook_too_large")
        try:
            sheet = _first_sheet(archive)
            rows = 0
            with archive.open(sheet) as part:
                tail = b""
                while chunk := part.read(CHUNK):
                    data = tail + chunk
                    end = 0
                    for match in _ROW_TAG.finditer(data):
                        rows, end = rows + 1, match.end()
                    tail = data[max(end, len(data) - 40):]  # a tag cut at the chunk's end is completed next time
                    if rows > max_lines + 1:
                        raise too_many_lines(max_lines)
        except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, EOFError, ValueError):
            raise damaged from None
    return "xlsx", rows


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The archive member of the workbook's first sheet (workbook.xml, then its relations)."""
    def small(name):
        if archive.getinfo(name).file_size > XLSX_MAX_PART:
            raise ValueError(name)
        return ElementTree.fromstring(archive.read(name))

    workbook = small("xl/workbook.xml")
    sheet = next(e for e in workbook.iter() if e.tag.endswith("}sheet") or e.tag == "sheet")
    rel_id = next(v for k, v in sheet.attrib.items() if k.endswith("}id"))
    relations = small("xl/_rels/workbook.xml.rels")
    target = next(e.get("Target") for e in relations.iter() if e.get("Id") == rel_id)
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


# -- JSON ----------------------------------------------------------------------------------------

def _json(stream, max_lines: int) -> tuple[str, int]:
    return "utf-8", sum(1 for _item in json_objects(stream.read(), max_lines))


def _not_a_list(line: int, detail: str = "") -> UnreadableFile:
    return UnreadableFile(_("The JSON is not a list of row objects (line %(line)d%(detail)s): send "
                            "[{\"claim_no\": \"…\", …}, …].") % {"line": line, "detail": f": {detail}" if detail else ""},
                          code="invalid_json")


def json_objects(data: bytes, max_lines: int):
    """Yield (position from 1, object) of a JSON list of row objects, decoded one object at a time.
    Numbers come as int or Decimal, never float."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(_("The JSON file is not UTF-8 text."), code="encoding") from None
    decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)
    pos = _skip(text, 0)
    if text[pos:pos + 1] != "[":
        raise _not_a_list(_line(text, pos), _("it does not begin with ["))
    pos = _skip(text, pos + 1)
    number = 0
    if text[pos:pos + 1] == "]":
        pos += 1
    else:
        while True:
            try:
                item, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise _not_a_list(_line(text, exc.pos), exc.msg) from None
            except (RecursionError, ValueError) as exc:
                raise _not_a_list(_line(text, pos), str(exc)[:80]) from None
            number += 1
            if number > max_lines:
                raise too_many_lines(max_lines)
            _check_object(item, number)
            yield number, item
            pos = _skip(text, pos)
            if text[pos:pos + 1] == ",":
                pos = _skip(text, pos + 1)
                continue
            if text[pos:pos + 1] == "]":
                pos += 1
                break
            raise _not_a_list(_line(text, pos), _("a comma or ] was expected"))
    if _skip(text, pos) != len(text):
        raise _not_a_list(_line(text, pos), _("something follows the list"))


def _check_object(item, number: int) -> None:
    if not isinstance(item, dict):
        raise UnreadableFile(_("Item %(n)d of the list is not an object of column names and values.")
                             % {"n": number}, code="invalid_json")
    for key, value in item.items():
        if not isinstance(value, _SCALARS):
            raise UnreadableFile(_("Item %(n)d: the value of “%(key)s” is a list or an object, not a single value.")
                                 % {"n": number, "key": key[:60]}, code="invalid_json")
        if isinstance(value, str) and len(value) > FIELD_LIMIT:
            raise UnreadableFile(_("Item %(n)d: the value of “%(key)s” is longer than %(limit)s characters.")
                                 % {"n": number, "key": key[:60], "limit": f"{FIELD_LIMIT:,}"},
                                 code="field_too_long")


def _no_constant(name):
    raise ValueError(f"{name} is not a number")


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
