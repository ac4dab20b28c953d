"""Enrollment's writes around the nightly comparison with the agency: the night itself
(reconcile_night: reconcile, report, escalate), a run requested from the page, the clerks'
resolutions, reporting the kept ones back, and the escalation of what stays open too long.
The set-based engine they drive is enrollment.reconciliation.engine."""

from .escalation import escalate_aged, source_key
from .night import Reconciled, issue_run_report, reconcile_night, request_run
from .resolutions import (
    ACTIONS,
    BulkOutcome,
    escalate_discrepancy,
    keep_our_value,
    record_discrepancy_export,
    report_back,
    resolve_many,
    take_agency_value,
)

__all__ = [
    "ACTIONS", "BulkOutcome", "Reconciled", "escalate_aged", "escalate_discrepancy", "issue_run_report",
    "keep_our_value", "reconcile_night", "record_discrepancy_export", "report_back", "request_run",
    "resolve_many", "source_key", "take_agency_value",
]
