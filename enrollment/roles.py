"""Enrollment's role sets (no model imports: apps.py reads them before the models are ready)."""

from core.roles import Role

# Who works the register, the applications and the reconciliation.
ENROLLMENT_STAFF = (Role.CLERK, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SUPERVISOR, Role.ADMIN)

# The model permission that shows an identity number in full (audited by the caller).
REVEAL_ID_NUMBER_PERMISSION = "enrollment.view_full_id_number"
