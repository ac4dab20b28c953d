"""CSV in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030, read in two streaming passes.

Pass 1 runs over the bytes once, in chunks: it settles the encoding (a BOM; else UTF-8 if every
byte decodes; else GB18030, what Excel and WPS save on a Chinese Windows), refuses a NUL byte
naming its line, and refuses the file as soon as it has more lines than allowed, before the rest
is read. Pass 2 hands the csv module one line at a time and bounds what one record may take:
a field longer than the csv module's limit, or a record (all its lines) longer than max_record,
refuses the file naming the line, so that no quoted field can swallow the file.
"""

import codecs
import csv

from django.utils.translation import gettext as _

from .base import FIELD_LIMIT, Limits, field_too_long, nul_byte, refuse, too_many_lines

CHUNK = 1 << 16
ENCODINGS = ("utf-8", "gb18030")


def detect_encoding(stream, limits: Limits) -> str:
    """Pass 1: the encoding. Raises UnreadableFile (NUL byte, no encoding fits) or TooLarge (lines)."""
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ENCODINGS
    failed_at = []
    for encoding in candidates:
        bad_line = _scan(stream, encoding, limits)
        if bad_line is None:
            return encoding
        failed_at.append(bad_line)
    line = max(failed_at)
    if candidates == ENCODINGS:
        message = _("Line %(line)d is neither UTF-8 nor GB18030 text: save the file as CSV (UTF-8) or XLSX "
                    "again.")
    else:
        message = _("Line %(line)d is not %(encoding)s text, although the file begins as such: save it as CSV "
                    "(UTF-8) or XLSX again.")
    raise refuse("encoding", message % {"line": line, "encoding": candidates[0].upper()}, row=line)


def _scan(stream, encoding: str, limits: Limits) -> int | None:
    """Decode the whole stream; return the line of the first undecodable byte (None: all decoded)."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines, open_line = 0, False
    while True:
        chunk = stream.read(CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            return newlines + 1 + _newlines_before(chunk, exc.start, encoding)
        if "\x00" in text:
            raise nul_byte(newlines + 1 + text.count("\n", 0, text.index("\x00")))
        if text:
            newlines += max(text.count("\n"), text.count("\r"))  # CRLF, LF, or the old Mac's CR
            open_line = not text.endswith(("\n", "\r"))
        if newlines + open_line > limits.max_lines:
            raise too_many_lines(limits.max_lines)
        if not chunk:
            return None


def _newlines_before(chunk: bytes, end: int, encoding: str) -> int:
    if encoding.startswith("utf-16"):
        return chunk[:end].decode(encoding, errors="replace").count("\n")
    return chunk.count(b"\n", 0, max(0, end))


class _Lines:
    """The decoded text, one line at a time (with its line break), counting lines and the
    characters of the record the csv module is reading."""

    def __init__(self, stream, encoding: str, limits: Limits):
        self.stream, self.encoding, self.limits = stream, encoding, limits
        self.line = 0  # the last line handed out
        self.record_chars = 0
        self.newline = "\n"  # "\r" for a file with no LF at all (Excel for Mac's "CSV (Macintosh)")
        self._iter = self._generate()

    def __iter__(self):
        return self

    def __next__(self) -> str:
        return next(self._iter)

    def _take(self, line: str) -> str:
        self.line += 1
        self.record_chars += len(line)
        if self.record_chars > self.limits.max_record:
            raise _record_too_long(self.line, self.limits.max_record)
        return line

    def _generate(self):
        self.stream.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)()
        pending = ""
        first = True
        while True:
            chunk = self.stream.read(CHUNK)
            pending += decoder.decode(chunk, final=not chunk)
            if first:
                first = False
                if "\n" not in pending and "\r" in pending:
                    self.newline = "\r"
            start = 0
            while (end := pending.find(self.newline, start)) >= 0:
                yield self._take(pending[start:end + 1])
                start = end + 1
            pending = pending[start:]
            if self.record_chars + len(pending) > self.limits.max_record:
                raise _record_too_long(self.line + 1, self.limits.max_record)
            if not chunk:
                break
        if pending:
            yield self._take(pending)


def _record_too_long(line: int, limit: int):
    return refuse("line_too_long", _("Line %(line)d is longer than %(limit)s characters (with the lines its quoted "
                                     "fields span): the file is refused.") % {"line": line, "limit": f"{limit:,}"},
                  row=line)


def read_rows(stream, encoding: str, limits: Limits, delimiter: str | None = None):
    """Pass 2: yield (row number, first line, fields) per record; the header is row 1.

    delimiter None: a tab if the first line has tabs and no comma, else a comma."""
    lines = _Lines(stream, encoding, limits)
    if delimiter is None:
        first = next(lines, "")
        delimiter = "\t" if "\t" in first and "," not in first else ","
        lines.line, lines.record_chars = 0, 0
        lines._iter = lines._generate()
    reader = csv.reader(lines, delimiter=delimiter)
    number = 0
    field_limit = min(limits.max_field, FIELD_LIMIT)
    while True:
        start = lines.line + 1
        lines.record_chars = 0
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise field_too_long(start, FIELD_LIMIT) from None
            raise refuse("not_csv", _("Line %(line)d cannot be read as CSV (%(detail)s): save the file as CSV again.")
                         % {"line": lines.line, "detail": exc}, row=lines.line) from None
        number += 1
        for value in record:
            if len(value) > field_limit:
                raise field_too_long(start, field_limit)
        yield number, start, record[: limits.max_columns]
