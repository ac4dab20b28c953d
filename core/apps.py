from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from .registry import NavEntry
from .roles import Role


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    # What core contributes itself, like every app (core.registry).
    nav_entries = [
        NavEntry(_("Home"), "home"),
        NavEntry(_("Administration"), "admin:index", (Role.ADMIN,), order=100),
    ]
    role_permissions = {
        Role.SUPERVISOR: ["core.view_auditentry"],
        Role.ADMIN: ["core.view_auditentry"],
    }
    audit_text = "core.timeline.CORE_TEXT"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .roles import sync_roles_after_migrate

        # Wiring, not business logic: the role groups exist after every migrate.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="core.sync_roles")
