"""Settlement's role sets (no model imports: apps.py reads them before the models are ready)."""

from core.roles import Role

# Who may read claim batches at all; which batches is per provider (core.providers grants): a provider's
# users see their own provider's, an auditor the providers assigned to them, supervisors and admins all.
SETTLEMENT_READERS = (Role.PROVIDER, Role.SETTLEMENT_AUDITOR, Role.SUPERVISOR, Role.ADMIN)

# The checker and the review act as the system user (core.system), whose one role this is.
SYSTEM = Role.SYSTEM
