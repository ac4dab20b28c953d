"""Supervision's role sets (no model imports: apps.py reads them before the models are ready)."""

from core.roles import Role

# Who keeps the problem ledger.
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
# Who may be given a problem to rectify, and so sees the problems given to them (read-only unless the
# transitions table lets their role act): the office's own staff, not providers, not the system user.
ASSIGNEES = tuple(role for role in Role if role not in (Role.PROVIDER, Role.SYSTEM))
