"""Eligibility's role sets (no model imports: apps.py reads them before the models are ready)."""

from core.roles import Role

# Who reads eligibility's pages (the catalogue, registrations, a person's benefits) and may ask the
# coverage check on the office's side.
OFFICE_STAFF = (Role.CLERK, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SETTLEMENT_AUDITOR, Role.SUPERVISOR,
                Role.ADMIN)
# Who edits reference data (the catalogue, disease classes, policies) in the admin.
REFERENCE_EDITORS = (Role.ADMIN,)
# Who revokes a registration.
REGISTRATION_DECIDERS = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMIN)
