"""Request body parsers for the API: DRF's, refusing a NUL character anywhere in the body.

PostgreSQL cannot store NUL in text or JSON, and psycopg refuses to send it: a value holding one
would fail with a DataError (a 500) wherever it is stored or looked up. core.middleware refuses it
in the address; these refuse it in bodies (JSON, form, multipart field values and file names).
Kept apart from core.api so that DRF's settings can import them while rest_framework loads.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework import parsers

NUL = "\x00"


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul(data):
    """PostgreSQL cannot store NUL in text or JSON: refuse it in the body, as core.middleware does in
    the address, instead of failing with a DataError wherever the value would be stored."""
    fields = data.data if isinstance(data, parsers.DataAndFiles) else data
    names = [f.name for f in data.files.values()] if isinstance(data, parsers.DataAndFiles) else []
    if hasattr(fields, "lists"):
        fields = dict(fields.lists())
    if _holds_nul(fields) or _holds_nul(names):
        raise drf.ParseError(_("NUL characters are not allowed."))
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))


