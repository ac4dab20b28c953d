"""State transitions: a table on the model and one guard (django-oscar's pipeline idea).

A stateful model declares

    class Status(models.TextChoices): ...
    TRANSITIONS = {Status.DRAFT: {Status.SUBMITTED: (Role.CLERK,)}, ...}

mapping each state to the states it may move to and the roles that may make that move.
transition() locks the row, checks the table and the actor's role, applies the change, writes
the audit entry and saves with update_fields, all in one transaction.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import record
from .errors import InvalidTransition, PermissionDenied
from .roles import has_role


def allowed_targets(obj, user) -> list[str]:
    """The states this user may move the object to now (for showing buttons)."""
    moves = type(obj).TRANSITIONS.get(obj.status, {})
    return [to for to, roles in moves.items() if has_role(user, *roles)]


def transition(obj, to: str, *, actor, action: str | None = None, changes: dict | None = None,
               note: str = ""):
    """Move obj to state `to`, applying `changes` (field -> value) in the same save.

    Returns the locked, updated instance (obj is refreshed too). Raises InvalidTransition when
    the table does not allow the move from the current state, PermissionDenied when the actor
    holds none of the roles the move needs.
    """
    model = type(obj)
    changes = changes or {}
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=obj.pk)
        current = locked.status
        moves = model.TRANSITIONS.get(current, {})
        if to not in moves:
            raise InvalidTransition(
                _("%(object)s cannot go from “%(from)s” to “%(to)s”.") % {
                    "object": locked, "from": _label(model, current), "to": _label(model, to)},
            )
        if not has_role(actor, *moves[to]):
            raise PermissionDenied(_("Your role may not move this case to “%(to)s”.") % {"to": _label(model, to)})
        fields = ["status", *changes]
        before = {f: _plain(getattr(locked, f)) for f in fields}
        locked.status = to
        for field, value in changes.items():
            setattr(locked, field, value)
        update_fields = list(dict.fromkeys(fields))
        if hasattr(locked, "version"):
            locked.version += 1
            update_fields.append("version")
        locked.save(update_fields=update_fields)
        after = {f: _plain(getattr(locked, f)) for f in fields}
        if note:
            after["note"] = note
        code = action or f"{model._meta.app_label}.{model._meta.model_name}.{to.lower()}"
        record(actor, code, locked, before, after)
    for field in update_fields:
        setattr(obj, field, getattr(locked, field))
    return locked


def _label(model, value) -> str:
    try:
        return str(model.Status(value).label)
    except (AttributeError, ValueError):
        return str(value)


def _plain(value):
    if hasattr(value, "pk"):
        return value.pk
    return value
