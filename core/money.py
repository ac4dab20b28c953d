"""Money and hospital levels as pages show them to people.

Money shows its cents (10 → 10.00, 0.4500 → 0.45) and keeps the places beyond them only where they count
(a catalogue price cap of 0.1234). A hospital level is a word (一级, 二级, 三级 in the office's language),
never the bare digit of the providers' file.
"""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")

LEVELS = {1: _("level 1"), 2: _("level 2"), 3: _("level 3")}
INSTITUTIONS = {1: _("level 1 institution"), 2: _("level 2 institution"), 3: _("level 3 institution")}


def money_text(value) -> str:
    """The amount with two places, or more where the places beyond the cent are not zero; "" for None."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not amount.is_finite():
        return str(value)
    if amount == amount.quantize(CENT):
        return f"{amount.quantize(CENT):f}"
    return f"{amount.normalize():f}"


def figure_text(value) -> str:
    """A figure without trailing zeros: 5.00 → 5, 5.50 → 5.5 (percentage points, units)."""
    if value is None or value == "":
        return ""
    try:
        figure = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not figure.is_finite():
        return str(value)
    return f"{figure.normalize():f}" if figure != figure.to_integral_value() else f"{figure.to_integral_value():f}"


def level_text(level) -> str:
    """一级 / level 1: a hospital level as a word; anything else as it is."""
    name = LEVELS.get(_as_level(level))
    return str(name) if name is not None else str(level)


def institution_text(level) -> str:
    """一级医疗机构 / level 1 institution."""
    name = INSTITUTIONS.get(_as_level(level))
    return str(name) if name is not None else str(level)


def _as_level(level):
    try:
        return int(level)
    except (TypeError, ValueError):
        return None
