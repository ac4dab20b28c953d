"""{% load register_links %}: links into the register from other apps' pages, for those who may follow them.

    {% person_page_url user person as register_url %}{% if register_url %}<a href="{{ register_url }}">…</a>{% endif %}
"""

from django import template
from django.urls import reverse

from core.errors import PermissionDenied

from ..permissions import authorize_person_action

register = template.Library()


@register.simple_tag
def person_page_url(user, person) -> str:
    """The person's page in the register, or "" when the user may not open it (no dead link)."""
    if person is None or getattr(person, "pk", None) is None:
        return ""
    try:
        authorize_person_action(user, "view")
    except PermissionDenied:
        return ""
    return reverse("enrollment:person_detail", args=[person.pk])
