"""Settlement's role sets (no model imports: apps.py reads them before the models are ready)."""

from core.roles import Role

# Who may read claim batches at all; which batches is per provider (core.providers grants): a provider's
# users see their own provider's, an auditor the providers assigned to them, supervisors and admins all.
SETTLEMENT_READERS = (Role.PROVIDER, Role.SETTLEMENT_AUDITOR, Role.SUPERVISOR, Role.ADMIN)

# The scheduled checker's role. INTERIM: engineer "workflow" adds Role.SYSTEM ("system") and its user
# (core.system); until that is on main the name is spelled here, with the same value, so the transitions
# table below already grants the system its moves and nothing changes when Role.SYSTEM lands.
SYSTEM = getattr(Role, "SYSTEM", "system")
