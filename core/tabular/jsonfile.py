"""JSON: a list of row objects with the same keys, read one object at a time.

The text is decoded once (the file is within max_bytes); the objects are then decoded one by one
with raw_decode, so that a refusal (a nested value, an over-long text, too many rows) comes at
the object where it is found and nothing past it is built. Numbers are int or Decimal, never
float.
"""

import json
from decimal import Decimal

from django.utils.translation import gettext as _

from .base import FIELD_LIMIT, Limits, field_too_long, refuse, too_many_lines

_SCALARS = (str, int, Decimal, bool, type(None))


def _no_constant(name):
    raise ValueError(name)


def _whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _invalid(text: str, pos: int, detail: str = ""):
    line = _line(text, pos)
    return refuse("invalid_json", _("The JSON is not valid at line %(line)d%(detail)s: it must be a list of row "
                                    "objects, [{\"column\": \"value\", …}, …].")
                  % {"line": line, "detail": f" ({detail})" if detail else ""}, row=line)


def read_objects(stream, limits: Limits):
    """Yield (position from 1, object) for each object of the top-level list."""
    stream.seek(0)
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse("encoding", _("Line %(line)d of the JSON is not UTF-8 text.") % {"line": line},
                     row=line) from None
    decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)
    pos = _whitespace(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise _invalid(text, pos)
    pos = _whitespace(text, pos + 1)
    number = 0
    field_limit = min(limits.max_field, FIELD_LIMIT)
    if pos < len(text) and text[pos] == "]":
        pos += 1
    else:
        while True:
            try:
                item, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise _invalid(text, exc.pos, exc.msg) from None
            except (RecursionError, ValueError) as exc:
                raise _invalid(text, pos, str(exc)[:80]) from None
            number += 1
            if number > limits.max_lines:
                raise too_many_lines(limits.max_lines, "rows")
            if not isinstance(item, dict):
                raise refuse("invalid_json", _("Item %(n)d of the list is not an object of column names and values.")
                             % {"n": number}, row=number)
            for key, value in item.items():
                if not isinstance(value, _SCALARS):
                    raise refuse("invalid_json", _("Item %(n)d: the value of “%(key)s” is a list or an object, not a "
                                                   "single value.") % {"n": number, "key": key[:60]},
                                 row=number, column=key[:60])
                if isinstance(value, str) and (len(value) > field_limit or "\x00" in value):
                    if "\x00" in value:
                        raise refuse("nul_byte", _("Item %(n)d: the value of “%(key)s” contains a NUL character.")
                                     % {"n": number, "key": key[:60]}, row=number, column=key[:60])
                    raise field_too_long(number, field_limit, column=key[:60])
            yield number, item
            pos = _whitespace(text, pos)
            if pos < len(text) and text[pos] == ",":
                pos = _whitespace(text, pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                pos += 1
                break
            raise _invalid(text, pos)
    if _whitespace(text, pos) != len(text):
        raise _invalid(text, pos)
