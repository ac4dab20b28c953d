"""The office's roles, as Django groups, and the machinery that checks and syncs them.

A user may hold several roles. The role sets an app checks (who works the register, who decides)
live in that app, and each app contributes the model permissions its roles hold (`role_permissions`
on its AppConfig: core.registry). Object-level access (which provider's data a user may see) is
granted per provider with django-guardian: see core.providers.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Window clerk")
    REVIEWER = "reviewer", _("Reviewer")
    SENIOR_REVIEWER = "senior_reviewer", _("Senior reviewer")
    SETTLEMENT_AUDITOR = "settlement_auditor", _("Settlement auditor")
    SUPERVISOR = "supervisor", _("Supervisor")
    PROVIDER = "provider", _("Provider")
    ADMIN = "admin", _("Administrator")
    SYSTEM = "system", _("System (scheduled jobs and automatic decisions)")  # core.system's user only


def roles_of(user) -> frozenset[str]:
    """The role names a user holds, read once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMIN.value}
        user._role_names = cached
    return cached


def has_role(user, *roles) -> bool:
    return bool(roles_of(user) & {str(r) for r in roles})


def require_role(user, *roles) -> None:
    from .errors import PermissionDenied

    if not has_role(user, *roles):
        raise PermissionDenied()


def sync_roles() -> None:
    """Create each role's group and give it exactly the permissions the apps grant it."""
    from django.contrib.auth.models import Group, Permission

    from .registry import role_permissions

    grants = role_permissions()
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = models.Q(pk__in=[])
        for dotted in grants.get(role.value, ()):
            app_label, codename = dotted.split(".")
            wanted |= models.Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))


def sync_roles_after_migrate(sender, **kwargs):
    """Once migrate (or flush) has created the permissions of the last app that signals (each app's
    permissions come with its own post_migrate), so that every app's grants can be given."""
    from django.apps import apps

    if sender is [config for config in apps.get_app_configs() if config.models_module is not None][-1]:
        sync_roles()
