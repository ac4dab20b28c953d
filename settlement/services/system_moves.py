"""INTERIM: the checker's moves of a batch, as the system.

Engineer "workflow" is adding Role.SYSTEM and the system user (core.system) with core.workflow's
begin/finish. Until that is on main, the checker moves a batch with this helper: the same checks as
core.workflow.transition (the row is locked by the caller, the TRANSITIONS table must grant the move to
the system's role), the same save and the same audit entry, with the actor recorded as "system". When
core.system is on main, every call becomes

    transition(batch, to, actor=system_user(), changes=changes)

and this module goes.
"""

from django.db import transaction

from core.audit import record
from core.errors import InvalidTransition

from ..models import ClaimBatch
from ..roles import SYSTEM


def move_as_system(batch: ClaimBatch, to: str, *, changes: dict) -> ClaimBatch:
    """Move a batch the caller has locked (select_for_update) to `to`, applying `changes`; audited."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("move_as_system runs inside the transaction that locked the batch")
    roles = ClaimBatch.TRANSITIONS.get(batch.status, {}).get(to)
    if roles is None or SYSTEM not in roles:
        raise InvalidTransition(f"{batch.label}: {batch.status} -> {to} is not the system's move")
    before = {"status": batch.status}
    batch.status = to
    for field, value in changes.items():
        setattr(batch, field, value)
    batch.version += 1
    batch.save(update_fields=["status", *changes, "version"])
    record(None, f"settlement.claimbatch.{to}", batch, before, {"status": to, **changes})
    return batch
