from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.registry import HomePanel
from core.roles import Role


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("Settlement")

    # What settlement contributes to the kernel (core.registry).
    home_panels = [HomePanel("settlement/_home_panel.html", (Role.PROVIDER,))]
