"""A regular CSV file's rows into the staging table by PostgreSQL's own CSV parser (COPY), several times
quicker than reading it in Python. "Regular": the header on the first line, every record with as many
fields as the header, no blank line, no field over the length limit, in UTF-8 or GB18030. Anything else
(and anything COPY refuses) leaves nothing behind (a savepoint) and the caller reads the file row by row
in Python instead, which tolerates ragged and blank rows and names the row of a fault. Both give the same
staged rows: values trimmed of the same white space, rows numbered as a spreadsheet numbers them (the
header is row 1; COPY numbers the records in file order), blank rows skipped.
"""

import csv
import re

import psycopg
from django.db import DatabaseError

from .columns import KEYS
from .sql import STAGE
from .table import normalise

RAW = "settlement_claims_raw"
CHUNK = 1 << 20
MAX_COLUMNS = 64
# Python's str.strip() removes exactly these; the SQL trims the same set. Trimming by the ASCII ones alone is
# twice as quick, and enough for a UTF-8 file in which none of the others occurs (a search of its bytes).
WHITESPACE = "".join(ch for ch in map(chr, range(0x110000)) if ch.isspace())
ASCII_WHITESPACE = "".join(ch for ch in WHITESPACE if ch.isascii())
_OTHER_SPACE_UTF8 = re.compile(b"|".join(re.escape(ch.encode()) for ch in WHITESPACE if not ch.isascii()))
# COPY's end-of-data marker, a line holding only \. : COPY would stop there and drop what follows.
_END_MARKER = re.compile(rb"(?:^|\n)\\\.\r?(?:\n|$)")
_ENCODINGS = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "gb18030": "GB18030"}
_KEYS = {normalise(key): key for key in KEYS}


class NotRegular(Exception):
    """The file is not one COPY can take as it is: read it in Python."""


def copy_csv(cur, stream, *, encoding: str, max_field: int) -> tuple[dict, int] | None:
    """Stage the file with COPY: ({key: header as written}, rows staged), or None when it is not regular
    (nothing staged)."""
    if encoding not in _ENCODINGS:
        return None
    stream.seek(0)
    first = stream.readline(1 << 16)
    header_line = first.decode(encoding).rstrip("\r\n")
    if not first.endswith(b"\n") or not header_line.strip():
        return None
    delimiter = "\t" if "\t" in header_line and "," not in header_line else ","
    headers = next(csv.reader([header_line], delimiter=delimiter))
    if not 0 < len(headers) <= MAX_COLUMNS:
        return None
    columns = {}
    for index, header in enumerate(headers):
        key = _KEYS.get(normalise(header))
        if key and key not in columns:
            columns[key] = index
    names = [f"c{i}" for i in range(len(headers))]
    cur.execute(f"DROP TABLE IF EXISTS {RAW}; CREATE TEMP TABLE {RAW} (row_no integer GENERATED ALWAYS AS "
                f"IDENTITY (START WITH 2), {', '.join(f'{n} text' for n in names)}) ON COMMIT DROP")
    cur.execute("SAVEPOINT settlement_fast_copy")
    try:
        other_space = _copy(cur, stream, names, delimiter, _ENCODINGS[encoding])
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {RAW} WHERE " + " OR ".join(f"length({n}) > %(max)s" for n in names)
                    + ")", {"max": max_field})
        if cur.fetchone()[0]:
            raise NotRegular()
    except (NotRegular, psycopg.Error, DatabaseError):
        cur.execute("ROLLBACK TO SAVEPOINT settlement_fast_copy")
        return None
    cur.execute("RELEASE SAVEPOINT settlement_fast_copy")
    keys = [k for k in KEYS if k in columns]
    trimmed = {k: f"btrim(c{columns[k]}, %(ws)s)" for k in keys}
    cur.execute(f"INSERT INTO {STAGE} (row_no, {', '.join(keys)}) SELECT row_no, {', '.join(trimmed.values())} "
                f"FROM {RAW} WHERE btrim({' || '.join(names)}, %(ws)s) <> ''",
                {"ws": WHITESPACE if other_space else ASCII_WHITESPACE})
    rows = cur.rowcount
    cur.execute(f"DROP TABLE {RAW}")
    return {key: headers[index].strip() for key, index in columns.items()}, rows


def _copy(cur, stream, names: list[str], delimiter: str, encoding: str) -> bool:
    """COPY the rest of the stream; whether white space other than ASCII's may occur in it."""
    options = (f"FORMAT csv, DELIMITER E'{delimiter}', ENCODING '{encoding}', "
               f"FORCE_NOT_NULL ({', '.join(names)})")
    tail, other_space = b"\n", encoding != "UTF8"
    with cur.copy(f"COPY {RAW} ({', '.join(names)}) FROM STDIN WITH ({options})") as copy:
        while chunk := stream.read(CHUNK):
            if _END_MARKER.search(tail + chunk):
                raise NotRegular()
            other_space = other_space or bool(_OTHER_SPACE_UTF8.search(tail + chunk))
            copy.write(chunk)
            tail = chunk[-4:]
    return other_space
