from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.registry import NavEntry

from .roles import SUPERVISORS


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    # What supervision contributes to the kernel (core.registry).
    nav_entries = [NavEntry(_("Problem ledger"), "supervision:problem_list", SUPERVISORS)]
