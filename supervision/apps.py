from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.registry import HomePanel, NavEntry

from .roles import ASSIGNEES, SUPERVISORS


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    # What supervision contributes to the kernel (core.registry).
    nav_entries = [NavEntry(_("Problem ledger"), "supervision:problem_list", SUPERVISORS)]
    home_panels = [
        HomePanel("supervision/_home_panel.html", SUPERVISORS, "supervision.selectors.home_summary"),
        # The problems given to this user to rectify (shown while there are any not closed).
        HomePanel("supervision/_assigned_panel.html", ASSIGNEES, "supervision.selectors.assigned_summary"),
    ]
    audit_text = "supervision.audit_text.AUDIT_TEXT"  # how its audit entries read on pages (core.timeline)
