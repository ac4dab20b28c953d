from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.registry import NavEntry

from .roles import OFFICE_STAFF


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = _("Eligibility")

    # What eligibility contributes to the kernel (core.registry).
    nav_entries = [
        NavEntry(_("Catalogue"), "eligibility:catalogue", OFFICE_STAFF),
        NavEntry(_("Registrations"), "eligibility:registration_list", OFFICE_STAFF),
        NavEntry(_("Policies"), "eligibility:policies", OFFICE_STAFF),
    ]
    demo_seed = "eligibility.seed.seed_eligibility"
    audit_text = "eligibility.audit_text.AUDIT_TEXT"  # how its audit entries read on pages (core.timeline)
