"""Identity numbers (GB 11643), unified social credit codes (GB 32100) and telephone numbers.

Identity numbers and codes are checked as the agency's
extract contract says (spec/agency-extract.md): the check character and the province code are
checked, never the county code's existence in the birth year (python-stdnum's cn.ric.validate
would reject numbers issued under later county codes, so only its check-character function is
used). The same rules are written in SQL in enrollment/reconciliation/sql.py; a test holds the
two to the same answers.
"""

import re
from datetime import date
from functools import cache

from django.utils.translation import gettext_lazy as _
from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric, uscc

PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66), 71, 81, 82]
)
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_USCC_SHAPE = re.compile(r"^[0-9]{8}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$")
# Mainland numbers: a mobile (1, then 3-9, then 9 digits; +86 in front allowed), or a landline with
# its area code (0 and 2-3 digits, an optional hyphen, 7-8 digits). Spaces are ignored; a mobile
# may be written in groups with hyphens (138-0013-8000).
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$")
_LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")


class IdentityError(ValueError):
    """A reason an identity number or code is not valid, in words a clerk can act on."""


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def check_id_number(value: str) -> str:
    """Return the normalised number or raise IdentityError with the reason."""
    number = normalise_id_number(value)
    if not _ID_SHAPE.match(number):
        raise IdentityError(_("An identity number has 17 digits and a check character (a digit or X)."))
    if int(number[:2]) not in PROVINCES:
        raise IdentityError(_("The first two digits are not a province code."))
    if ric.calc_check_digit(number) != number[-1]:  # takes all 18 characters, ignores the last
        raise IdentityError(_("The check character is wrong: the number was probably mistyped."))
    try:
        birth_date_of(number)
    except ValueError:
        raise IdentityError(_("The birth date inside the number is not a real date."))
    return number


def birth_date_of(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender_of(number: str) -> str:
    """'1' male (17th digit odd), '2' female."""
    return "1" if int(number[16]) % 2 == 1 else "2"


def check_uscc(value: str) -> str:
    code = (value or "").strip().upper()
    if not _USCC_SHAPE.match(code):
        raise IdentityError(_("A unified social credit code has 18 characters: 8 digits, then digits or capital "
                              "letters other than I, O, S, V and Z."))
    if uscc.calc_check_digit(code[:17]) != code[17]:
        raise IdentityError(_("The check character of the unified social credit code is wrong."))
    return code


def check_phone(value: str) -> str:
    """Return a mainland telephone number as it is kept (a mobile as its 11 digits, a landline as
    typed, without spaces) or raise IdentityError. The one check of every phone in enrollment."""
    text = re.sub(r"\s+", "", value or "")
    mobile = _MOBILE.match(text.replace("-", ""))
    if mobile:
        return mobile[1]
    if _LANDLINE.match(text):
        return text
    raise IdentityError(_("A telephone number is a mobile number (11 digits, starting 13 to 19) or a landline "
                          "with its area code (e.g. 025-12345678)."))


def with_id_check_character(first17: str) -> str:
    """Complete a 17-digit stem with its check character (for demo and test data)."""
    return first17 + ric.calc_check_digit(first17 + "0")


def with_uscc_check_character(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


# Polyphonic surnames that pypinyin reads with their common (non-surname) sound
# (PITFALLS.md: 单雄信 -> dxx, should be sxx).
SURNAME_READINGS = {
    "单": "s", "曾": "z", "解": "x", "仇": "q", "区": "o", "朴": "p", "查": "z", "盖": "g", "乐": "y",
    "尉": "y", "员": "y", "折": "s", "繁": "p", "缪": "m", "覃": "q", "翟": "z", "秘": "b", "种": "c",
    "蕃": "p", "句": "g", "尉迟": "yc", "万俟": "mq", "长孙": "zs",
}


def pinyin_initials(name: str) -> str:
    """张三 -> 'zs'; the surname takes its surname reading (单雄信 -> 'sxx').

    Each character is read on its own (names are not phrases) and remembered, so a million names
    cost a dictionary lookup per character (load_enrollment).
    """
    name = (name or "").strip()
    if not name:
        return ""
    for length in (2, 1):  # compound surnames (欧阳, 长孙) first
        reading = SURNAME_READINGS.get(name[:length])
        if reading is not None and len(name) > length - 1:
            return reading + _initials(name[length:])
    return _initials(name)


@cache
def _char_initial(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isalpha() else ""
    reading = lazy_pinyin(char, style=Style.FIRST_LETTER, errors="ignore")
    return reading[0][:1].lower() if reading and reading[0] else ""


def _initials(text: str) -> str:
    return "".join(_char_initial(char) for char in text)
