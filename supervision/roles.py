"""Supervision's role sets (no model imports: apps.py reads them before the models are ready)."""

from core.roles import Role

# Who keeps the problem ledger.
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
