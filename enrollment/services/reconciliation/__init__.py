"""Enrollment's writes around the nightly comparison with the agency: the night itself
(reconcile_night: reconcile, report, escalate), a run requested from the page, the clerks'
resolutions, the register changes that take two people (taking the agency's value: proposed,
then confirmed by another), reporting the kept ones back, and the escalation of what stays open
too long. The set-based engine they drive is enrollment.reconciliation.engine."""

from .escalation import escalate_aged, source_key
from .night import Reconciled, issue_run_report, reconcile_night, request_run
from .proposals import (
    Plan,
    Proposed,
    confirm_proposal,
    plan_take_agency,
    propose_take_agency,
    refuse_proposal,
    withdraw_proposal,
)
from .resolutions import (
    ACTIONS,
    BulkOutcome,
    escalate_discrepancy,
    keep_our_value,
    record_discrepancy_export,
    report_back,
    resolve_many,
)

__all__ = [
    "ACTIONS", "BulkOutcome", "Plan", "Proposed", "Reconciled", "confirm_proposal", "escalate_aged",
    "escalate_discrepancy", "issue_run_report", "keep_our_value", "plan_take_agency", "propose_take_agency",
    "reconcile_night", "record_discrepancy_export", "refuse_proposal", "report_back", "request_run",
    "resolve_many", "source_key", "withdraw_proposal",
]
