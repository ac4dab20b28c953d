"""Reading a loader's CSV file (UTF-8, with or without BOM, a header row) into a staging table.

Python's csv reader splits the rows (it knows the line each row starts on, also when a quoted
field spans lines) and psycopg's COPY streams them into a temporary table of text columns, one row
per data row with its line number and how many fields it had. Everything else (shape of values,
references, duplicates) is checked afterwards by set-based SQL over the table.
"""

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import ValidationFailed

CSV_FIELD_LIMIT = 1 << 20  # a field longer than this refuses the file (not a traceback)
NUL_MESSAGE = _lazy("Line %(line)d holds a NUL byte: this is not a CSV text file.")


class FileRejected(ValidationFailed):
    """The file, or rows of it, cannot be loaded: nothing was changed. `errors` lists every problem
    as {line, column, message} (column empty for the row as a whole)."""

    code = "file_rejected"


@dataclass
class Staged:
    rows: int
    sha256: str
    width: int  # the number of columns the header named: every row should have as many fields


def _hashed(path: Path) -> tuple[bytes, str]:
    if not path.is_file():
        raise FileRejected(_("The file %(path)s does not exist.") % {"path": path})
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def _header(row: list[str], columns: tuple[str, ...], optional: tuple[str, ...]) -> list[str]:
    names = [c.strip().lower() for c in row]
    missing = [c for c in columns if c not in names]
    unknown = [c for c in names if c not in columns + optional]
    if missing or unknown or len(set(names)) != len(names):
        raise FileRejected(
            _("The header row must name the columns %(expected)s; missing: %(missing)s; unexpected: %(unknown)s.")
            % {"expected": ",".join(columns), "missing": ",".join(missing) or "-",
               "unknown": ",".join(unknown) or "-"})
    return names


def stage_csv(cursor, path: Path, *, table: str, columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> Staged:
    """Create the temporary table `table` (line_no, ncols, one text column per column) and fill it.

    Columns may come in any order; an optional column left out of the header is empty on every row.
    Blank lines are not rows. Raises FileRejected for a file that cannot be read as such a CSV.
    """
    data, sha256 = _hashed(Path(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRejected(_("The file is not valid UTF-8 text."))
    if "\x00" in text:
        raise FileRejected(NUL_MESSAGE % {"line": text.count("\n", 0, text.index("\x00")) + 1})
    every = columns + optional
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMP TABLE {table} (line_no int NOT NULL, ncols int NOT NULL, "
                   + ", ".join(f"{c} text NOT NULL" for c in every) + ") ON COMMIT DROP")
    previous = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        rows, width = _copy_rows(cursor, csv.reader(io.StringIO(text, newline="")), table, columns, optional)
    finally:
        csv.field_size_limit(previous)
    if rows == 0:
        raise FileRejected(_("The file has no data rows."))
    cursor.execute(f"ANALYZE {table}")
    return Staged(rows=rows, sha256=sha256, width=width)


def _copy_rows(cursor, reader, table: str, columns: tuple[str, ...], optional: tuple[str, ...]) -> tuple[int, int]:
    every = columns + optional
    try:
        header = next(reader, None)
        if header is None:
            raise FileRejected(_("The file is empty."))
        names = _header(header, columns, optional)
        width = len(names)
        position = [names.index(c) if c in names else None for c in every]
        rows, line = 0, reader.line_num
        with cursor.copy(f"COPY {table} (line_no, ncols, {', '.join(every)}) FROM STDIN") as copy:
            for row in reader:
                start, line = line + 1, reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                padded = row + [""] * (width - len(row))
                copy.write_row((start, len(row), *("" if i is None else padded[i] for i in position)))
                rows += 1
    except csv.Error as exc:
        raise FileRejected(_("Line %(line)d cannot be read as CSV: %(error)s") % {
            "line": reader.line_num, "error": exc})
    return rows, width
