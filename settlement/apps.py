from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.registry import HomePanel, NavEntry

from .roles import SETTLEMENT_READERS


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("Settlement")

    # What settlement contributes to the kernel (core.registry).
    nav_entries = [NavEntry(_("Claim batches"), "settlement:batch_list", SETTLEMENT_READERS)]
    home_panels = [HomePanel("settlement/_home_panel.html", SETTLEMENT_READERS, "settlement.selectors.home_summary")]
    demo_seed = "settlement.seed.seed_settlement"
