"""Third-party apps as the office's admin names them (their AppConfig's verbose_name), installed in
their place in INSTALLED_APPS: the app's label, models and migrations stay its own."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login lockouts")
