from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.registry import HomePanel, NavEntry
from core.roles import Role

from .roles import ENROLLMENT_STAFF, REVEAL_ID_NUMBER_PERMISSION


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    # What enrollment contributes to the kernel (core.registry).
    nav_entries = [
        NavEntry(_("Applications"), "enrollment:application_list", ENROLLMENT_STAFF),
        NavEntry(_("New application"), "enrollment:application_create", (Role.CLERK, Role.ADMIN)),
        NavEntry(_("Persons"), "enrollment:person_search", ENROLLMENT_STAFF),
        NavEntry(_("Employers"), "enrollment:employer_list", ENROLLMENT_STAFF),
        NavEntry(_("Reconciliation"), "enrollment:run_list", ENROLLMENT_STAFF),
        NavEntry(_("Discrepancies"), "enrollment:discrepancy_list", ENROLLMENT_STAFF),
        NavEntry(_("Register changes"), "enrollment:proposal_list", ENROLLMENT_STAFF),
    ]
    home_panels = [
        HomePanel("enrollment/_home_panel.html", ENROLLMENT_STAFF, "enrollment.selectors.home_summary"),
        # Register changes proposed by others, for those who confirm them (CONFIRMERS).
        HomePanel("enrollment/_proposals_panel.html", (Role.REVIEWER, Role.SENIOR_REVIEWER),
                  "enrollment.selectors.proposals_summary"),
    ]
    role_permissions = {
        Role.REVIEWER: [REVEAL_ID_NUMBER_PERMISSION],
        Role.SENIOR_REVIEWER: [REVEAL_ID_NUMBER_PERMISSION],
        Role.SUPERVISOR: [REVEAL_ID_NUMBER_PERMISSION],
        Role.ADMIN: [REVEAL_ID_NUMBER_PERMISSION],
    }
    demo_seed = "enrollment.seed.seed_enrollment"
    audit_text = "enrollment.audit_text.AUDIT_TEXT"  # how its audit entries read on pages (core.timeline)
    # The kinds of problem enrollment raises in the ledger, as the ledger's pages name them.
    problem_categories = {
        "overdue_application": _("A case past its time limit"),
        "enrollment.discrepancy": _("A difference with the agency's data"),
    }
