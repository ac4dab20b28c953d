"""{% load staff %}: members of staff as pages name them."""

from django import template

from ..system import staff_name as _staff_name

register = template.Library()


@register.filter
def staff_name(user) -> str:
    """{{ user|staff_name }}: the full name, else the user name; the system user as 系统."""
    return _staff_name(user)
