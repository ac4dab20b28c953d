"""{% load display %}: money and hospital levels as people read them (core.money)."""

from django import template

from ..money import figure_text, institution_text, level_text, money_text

register = template.Library()


@register.filter
def money(value) -> str:
    """{{ item.price_cap|money }}: 10.00, 0.45, 0.1234."""
    return money_text(value)


@register.filter
def figure(value) -> str:
    """{{ v.referral_adjustment_points|figure }}: 5, 5.5 (no trailing zeros)."""
    return figure_text(value)


@register.filter
def hospital_level(level) -> str:
    """{{ provider.level|hospital_level }}: 三级 (level 3)."""
    return level_text(level)


@register.filter
def institution_level(level) -> str:
    """{{ row.level|institution_level }}: 三级医疗机构 (level 3 institution)."""
    return institution_text(level)
