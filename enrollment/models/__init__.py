"""Enrollment's models: the register (employers, persons and their status history),
registration applications, and the nightly comparison with the agency's data."""

from .applications import Application, Material, RosterEntry, RosterUpload
from .proposals import RegisterChangeItem, RegisterChangeProposal
from .reconciliation import Discrepancy, ReconciliationAttempt, ReconciliationRun
from .register import Employer, InsuranceType, Person, PersonStatus, StatusChange

__all__ = [
    "Application", "Discrepancy", "Employer", "InsuranceType", "Material", "Person", "PersonStatus",
    "ReconciliationAttempt", "ReconciliationRun", "RegisterChangeItem", "RegisterChangeProposal", "RosterEntry",
    "RosterUpload", "StatusChange",
]
