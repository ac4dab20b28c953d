"""The API's JSON parser: DRF's, refusing a NUL character anywhere in the document.

PostgreSQL cannot store NUL in text or JSON, and psycopg refuses to send it: a value holding one
would fail with a DataError (a 500) wherever it is stored or looked up. core.middleware refuses it
in the address. In form and multipart bodies DRF's character fields refuse it already and Django
drops it from file names; a JSON document can carry it where no character field looks (a free-form
object such as an application's payload), so the parser refuses it for every endpoint at once.
Kept apart from core.api so that DRF's settings can import it while rest_framework loads.
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
    if _holds_nul(data):
        raise drf.ParseError(_("NUL characters are not allowed."))
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _refuse_nul(super().parse(stream, media_type, parser_context))
