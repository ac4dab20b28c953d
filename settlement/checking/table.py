"""The file reader the checker uses: core.tabular (CSV, XLSX's first sheet, JSON rows; streamed, bounded,
header mapped to keys). One import, so that settlement reads files as every app does."""

from core.errors import UnreadableFile
from core.tabular import FIELD_LIMIT, Column, Limits, Row, as_text, normalise, open_table, sniff_format

__all__ = ["FIELD_LIMIT", "Column", "Limits", "Row", "UnreadableFile", "as_text", "normalise", "open_table",
           "sniff_format"]
