"""{% load settlement_names %}: review rules and severities as people read them (settlement.rule_names)."""

from django import template

from ..rule_names import rule_name as _rule_name
from ..rule_names import severity_effect as _severity_effect

register = template.Library()


@register.filter
def rule_name(code: str) -> str:
    """{{ finding.rule_code|rule_name }}: 同日重复收费 for DUP_SAME_DAY."""
    return _rule_name(code)


@register.filter
def severity_effect(severity: str) -> str:
    """{{ finding.severity|severity_effect }}: what the finding does to the money."""
    return _severity_effect(severity)
