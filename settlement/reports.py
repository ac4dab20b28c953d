"""A rejected batch's error report as a CSV download (pages and API): row, column, the value as uploaded
and what to correct, in the reader's language. core.exports makes every cell safe to open in a
spreadsheet: a value such as =cmd|' /C calc'!A0 is written as text, never as a formula."""

from django.utils import translation
from django.utils.translation import gettext as _

from core.exports import csv_response

from .checking.messages import error_message
from .models import ClaimBatch
from .selectors import batch_errors


def error_report_rows(batch: ClaimBatch):
    for error in batch_errors(batch).iterator(chunk_size=2000):
        yield [error.row or "", error.column, error.value,
               error_message(error.code, error.column, error.value, error.detail)]


def error_report_response(batch: ClaimBatch):
    language = translation.get_language()

    def rows():  # streamed after the view returns: in the language of the request
        with translation.override(language):
            yield from error_report_rows(batch)

    return csv_response(filename=f"{batch.label}-errors", headers=[_("Row"), _("Column"), _("Value"), _("Problem")],
                        rows=rows())
