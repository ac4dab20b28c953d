"""{% load timeline %}: an object's history in sentences, for a page whose view hands over the object.

    {% include "partials/_history.html" with history=registration|timeline %}
"""

from django import template

from ..timeline import object_timeline

register = template.Library()


@register.filter
def timeline(obj) -> list[dict]:
    """{{ obj|timeline }}: core.timeline.object_timeline(obj), newest first (a fixed number of queries)."""
    return object_timeline(obj) if obj is not None else []
