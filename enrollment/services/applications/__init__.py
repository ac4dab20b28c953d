"""Registration applications (参保登记): intake at the window, the one-time notice, the review
and decision, and registration in the register. One function per change; each checks who may
make it (the transitions table in enrollment.models.applications), runs in one transaction and
writes its audit entry. Pass `expected_version` from a form to refuse a stale edit.
"""

from .applying import apply_to_register, check_applicable
from .decisions import (
    approve_application,
    may_decide,
    register_application,
    reject_application,
    segregation_message,
    start_review,
)
from .demo_seed import seed_demo_applications
from .intake import (
    create_application,
    issue_notice,
    notice_items,
    resubmit_application,
    submit_application,
    tick_materials,
)
from .overdue import overdue_applications, report_overdue_applications
from .payloads import application_data_errors

__all__ = [
    "application_data_errors", "apply_to_register", "approve_application", "check_applicable",
    "create_application", "issue_notice",
    "may_decide", "notice_items", "overdue_applications", "register_application", "reject_application",
    "report_overdue_applications", "resubmit_application", "seed_demo_applications", "segregation_message",
    "start_review", "submit_application", "tick_materials",
]
