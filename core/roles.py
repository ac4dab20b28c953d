"""The office's roles, as Django groups, and the model permissions each one holds.

A user may hold several roles. Object-level access (which provider's data a user may see) is
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


# Roles that work on the office's side of the counter (not providers).
OFFICE_STAFF = (
    Role.CLERK, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SETTLEMENT_AUDITOR, Role.SUPERVISOR, Role.ADMIN,
)
ENROLLMENT_STAFF = (Role.CLERK, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SUPERVISOR, Role.ADMIN)
DECIDERS = (Role.REVIEWER, Role.SENIOR_REVIEWER)

# Model permissions ("app_label.codename") each role's group holds.
ROLE_PERMISSIONS = {
    Role.CLERK: [],
    Role.REVIEWER: ["enrollment.view_full_id_number"],
    Role.SENIOR_REVIEWER: ["enrollment.view_full_id_number"],
    Role.SETTLEMENT_AUDITOR: [],
    Role.SUPERVISOR: ["enrollment.view_full_id_number", "core.view_auditentry"],
    Role.PROVIDER: [],
    Role.ADMIN: ["enrollment.view_full_id_number", "core.view_auditentry"],
}


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
    """Create each role's group and give it exactly the permissions listed above."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def sync_roles_after_migrate(sender, **kwargs):
    sync_roles()
