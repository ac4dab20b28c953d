"""State changes: a transitions table on the model and one path through it (django-oscar's pipeline idea).

A stateful model declares

    class Status(models.TextChoices): ...
    TRANSITIONS = {Status.DRAFT: {Status.SUBMITTED: (Role.CLERK,)}, ...}

mapping each state to the states it may move to and the roles that may make each move. A change of
state is two steps inside the caller's transaction:

    move = begin(application, Status.APPROVED, actor=actor, expected_version=version)
    check_applicable(move.obj)            # work on the locked row that may still refuse the move
    finish(move, changes={"decided_by": actor, ...})
    ApprovalLetter(move.obj).issue(...)   # work that needs the saved state

begin() locks the row and refuses a stale page (ConcurrentEdit), a move the table does not list
(InvalidTransition) and an actor holding none of the move's roles (PermissionDenied). finish()
applies the changes, saves them with the new state and a bumped `version` (update_fields), writes
the audit entry and brings the caller's instance up to date. transition() is the two at once. An
edit that keeps the state (ticking a checklist, a new staff list) is begin_edit() then finish().

Scheduled jobs and automatic decisions act as the system user (core.system): its role is granted
moves in the tables like any other, so nothing skips the check. A set-based move (the night
closing what disappeared, in one UPDATE) changes only rows in the states movable_from() allows
for its actor, and finish_many() writes their audit entries in one insert.
"""

from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext as _

from .audit import record, record_many
from .errors import ConcurrentEdit, InvalidTransition, PermissionDenied
from .roles import has_role


@dataclass
class Move:
    """A locked row on its way to `to` (None: an edit that keeps the state), from begin() to finish()."""

    obj: models.Model  # the locked instance: do the work on this one
    actor: object
    source: str  # the state when the row was locked
    to: str | None
    caller: models.Model  # the instance given to begin(), updated by finish()
    finished: bool = False


def allowed_targets(obj, user) -> list[str]:
    """The states this user may move the object to now (for showing buttons)."""
    moves = type(obj).TRANSITIONS.get(obj.status, {})
    return [to for to, roles in moves.items() if has_role(user, *roles)]


def check_move(model, current: str, to: str, actor) -> None:
    """Raise unless the table lets `actor` move a `model` from `current` to `to`."""
    moves = model.TRANSITIONS.get(current, {})
    if to not in moves:
        name = model._meta.verbose_name
        if not moves:
            raise InvalidTransition(_("This %(object)s is “%(from)s”: it can no longer change.")
                                    % {"object": name, "from": _label(model, current)})
        raise InvalidTransition(_("This %(object)s cannot go from “%(from)s” to “%(to)s”.") % {
            "object": name, "from": _label(model, current), "to": _label(model, to)})
    if not has_role(actor, *moves[to]):
        raise PermissionDenied(_("Your role may not move this %(object)s to “%(to)s”.")
                               % {"object": model._meta.verbose_name, "to": _label(model, to)})


def movable_from(model, to: str, *, actor) -> list[str]:
    """The states from which `actor` may move a `model` to `to`, for a set-based move.

    Raises PermissionDenied when there is none: a job the table does not grant the move fails
    loudly instead of changing nothing.
    """
    sources = [str(state) for state, moves in model.TRANSITIONS.items()
               if to in moves and has_role(actor, *moves[to])]
    if not sources:
        raise PermissionDenied(_("Your role may not move this %(object)s to “%(to)s”.")
                               % {"object": model._meta.verbose_name, "to": _label(model, to)})
    return sources


def begin(obj, to: str, *, actor, expected_version: int | None = None) -> Move:
    """Step one: lock the row, refuse a stale version, check the table and the actor's role."""
    locked = _lock(obj, expected_version)
    check_move(type(obj), locked.status, to, actor)
    return Move(obj=locked, actor=actor, source=locked.status, to=to, caller=obj)


def begin_edit(obj, *, actor, expected_version: int | None = None) -> Move:
    """Step one of an edit that keeps the state: lock the row and refuse a stale version.

    Which states allow the edit is the caller's rule (it is not a move in the table).
    """
    locked = _lock(obj, expected_version)
    return Move(obj=locked, actor=actor, source=getattr(locked, "status", ""), to=None, caller=obj)


def finish(move: Move, *, action: str | None = None, changes: dict | None = None, note: str = "",
           before: dict | None = None, after: dict | None = None) -> models.Model:
    """Step two: apply `changes` (field -> value), save them with the state and the version, audit.

    The audit entry holds each changed field before and after, plus the facts given in `before`
    and `after` (what changed outside the row, e.g. the materials ticked) and the note. The action
    code defaults to `<app>.<model>.<new state>`; an edit must name its own. Returns the saved
    instance; the caller's instance gets the same values.
    """
    if move.finished:
        raise RuntimeError("finish() was already called for this move")
    locked, model = move.obj, type(move.obj)
    if action is None and move.to is None:
        raise ValueError("an edit that keeps the state names its audit action")
    changes = changes or {}
    fields = list(dict.fromkeys([*(["status"] if move.to is not None else []), *changes]))
    previous = {f: _plain(getattr(locked, f)) for f in fields}
    if move.to is not None:
        locked.status = move.to
    for field, value in changes.items():
        setattr(locked, field, value)
    update_fields = list(fields)
    if hasattr(locked, "version"):
        locked.version += 1
        update_fields.append("version")
    if update_fields:
        locked.save(update_fields=update_fields)
    entry_before = {**previous, **(before or {})}
    entry_after = {**{f: _plain(getattr(locked, f)) for f in fields}, **(after or {})}
    if note:
        entry_after["note"] = note
    code = action or f"{model._meta.app_label}.{model._meta.model_name}.{move.to.lower()}"
    record(move.actor, code, locked, entry_before or None, entry_after or None)
    move.finished = True
    if move.caller is not locked:
        for f in model._meta.concrete_fields:
            setattr(move.caller, f.attname, getattr(locked, f.attname))
    return locked


def finish_many(model, to: str, moved: list[tuple], *, actor, action: str | None = None,
                after: dict | None = None) -> int:
    """The audit entries of a set-based move, one per row: `moved` holds (pk, previous state, text)
    of each row that one UPDATE, restricted to the states movable_from() gave this actor, moved to
    `to` (setting the state and bumping the version itself). Run in that UPDATE's transaction.
    """
    for source in {row[1] for row in moved}:
        check_move(model, source, to, actor)
    code = action or f"{model._meta.app_label}.{model._meta.model_name}.{to.lower()}"
    label = model._meta.label_lower
    return record_many(actor, code, [((label, str(pk), text), {"status": source}, {"status": to, **(after or {})})
                                     for pk, source, text in moved])


def transition(obj, to: str, *, actor, action: str | None = None, changes: dict | None = None, note: str = "",
               expected_version: int | None = None) -> models.Model:
    """begin() and finish() in one transaction, for a move with no work between the two."""
    with transaction.atomic():
        move = begin(obj, to, actor=actor, expected_version=expected_version)
        return finish(move, action=action, changes=changes, note=note)


def _lock(obj, expected_version: int | None):
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("core.workflow.begin runs inside the transaction of the change")
    locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit()
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
