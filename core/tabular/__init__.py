"""Reading uploaded tables: CSV, XLSX and JSON, with their header mapped to keys, every row
numbered, and every bad or hostile file refused with a clear error, never a 500 or a stuck worker.

    from core.tabular import Column, Limits, open_table

    columns = [Column("claim_no"), Column("visit_type"), Column("referral_no", required=False)]
    with open_table(upload, name=upload.name, columns=columns, limits=Limits(max_lines=500_000)) as table:
        for row in table.rows():            # Row(number, values={key: value}, line)
            ...                             # row.number is the row a spreadsheet shows (header: 1)

Formats: CSV in UTF-8 (with or without BOM), UTF-16 with BOM or GB18030, comma or tab separated;
the first sheet of an XLSX workbook; JSON, a list of row objects. A zip is read as XLSX whatever
its name; otherwise the extension decides (.csv .txt .tsv .xlsx .xlsm .json), else the content.

Errors (core.errors; `.code` is stable, `.errors` is a list of {row, column, message}):
- TooLarge (413): `too_large` (over Limits.max_bytes, refused before a byte is read),
  `too_many_lines` (over max_lines, refused as soon as it is counted, before the rest is read);
- UnreadableFile (400): `unsupported_format` (a format not accepted here, an old .xls),
  `encoding` (neither UTF-8 nor GB18030), `nul_byte`, `field_too_long` (over the csv module's
  limit), `line_too_long`, `not_csv`, `empty_file`, `invalid_json`, `damaged_workbook` (not a
  zip, XML that does not parse, a DTD, a cell naming a text that is not there),
  `workbook_too_large` (unpacked size or directory over the limit), `too_many_strings`,
  `too_many_cells`;
- MissingColumns (UnreadableFile, code `missing_columns`): the header lacks a required column;
  one error per column, on the row that was taken for the header.

Values: CSV gives str (stripped); XLSX gives str, int, Decimal (never float), datetime.date or
datetime for a date-formatted number, bool, or Formula for a formula cell; JSON gives what it
holds, numbers as int or Decimal. `as_text(value)` turns any of them into the text a clerk would
type.
"""

from .base import FIELD_LIMIT, Formula, Limits, Row, as_text, column_letter
from .table import CSV, JSON, XLSX, Column, MissingColumns, Table, normalise, open_table, sniff_format

__all__ = ["CSV", "FIELD_LIMIT", "JSON", "XLSX", "Column", "Formula", "Limits", "MissingColumns", "Row", "Table",
           "as_text", "column_letter", "normalise", "open_table", "sniff_format"]
