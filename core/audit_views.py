"""Reads of the audit trail for pages (an object's timeline)."""

from .models import AuditEntry


def object_history(obj, limit: int = 200):
    """The object's audit entries, newest first, with their actors (one query)."""
    return (AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
            .select_related("actor").order_by("-seq")[:limit])
