"""Object-level access per provider (django-guardian), shared by every app that shows a
provider's data: a provider's own users, and the settlement auditors assigned to it.

Permissions are granted per provider, never per claim; selectors filter claims by the
providers a user may see (STYLE.md, Names and sizes).
"""

from django.apps import apps
from django.db import transaction
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from .audit import record

PERMISSION = "settlement.access_provider"


def _provider_model():
    return apps.get_model("settlement", "Provider")


def providers_visible_to(user):
    """The providers whose data this user may see: a QuerySet (office supervisors see all)."""
    from .roles import Role, has_role

    Provider = _provider_model()
    if not user.is_authenticated:
        return Provider.objects.none()
    if has_role(user, Role.ADMIN, Role.SUPERVISOR):
        return Provider.objects.all()
    return get_objects_for_user(user, PERMISSION, klass=Provider, accept_global_perms=False)


def grant_provider_access(*, user, provider, actor) -> None:
    with transaction.atomic():
        assign_perm(PERMISSION, user, provider)
        record(actor, "core.provider_access.granted", provider, None, {"user": user.get_username()})


def revoke_provider_access(*, user, provider, actor) -> None:
    with transaction.atomic():
        remove_perm(PERMISSION, user, provider)
        record(actor, "core.provider_access.revoked", provider, {"user": user.get_username()}, None)
