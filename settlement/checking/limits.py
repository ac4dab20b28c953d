"""What the upload request itself checks, before the file is kept and long before it is read row by row.

spec/claims-upload.md: 50 MB and 500,000 lines a file, "over that, a clear refusal before reading the
whole file". The size is known before a byte is read. Lines are counted over the raw bytes, stopping as
soon as there are too many: a CSV's line breaks; an XLSX's row elements in its first sheet, decompressed
as a stream and never parsed or held whole (the archive's directory is checked first, so a zip bomb is
refused unread); a JSON file's objects, decoded one at a time by core.tabular, which also refuses (400)
anything that is not a list of row objects. A CSV's encoding is settled in the same pass (UTF-8, else
GB18030).
"""

import codecs
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from django.utils.translation import gettext as _

from core.errors import TooLarge

from .table import Limits, UnreadableFile, open_table, sniff_format

CHUNK = 1 << 20
XLSX_MAX_UNPACKED = 2**30
XLSX_MAX_PART = 8 * 2**20  # workbook.xml and its relations: small files, read whole
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")


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
    """Each object decoded in turn by the shared reader: refused (400, invalid_json) at the first thing that
    is not a row object of single values, and (413) at the object past the limit."""
    with open_table(stream, name="upload.json", columns=[], limits=Limits(max_lines=max_lines)) as table:
        return "utf-8", sum(1 for _row in table.rows())
