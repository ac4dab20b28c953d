from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
        from .roles import sync_roles_after_migrate

        # Wiring, not business logic: the role groups exist after every migrate.
        post_migrate.connect(sync_roles_after_migrate, sender=self)
