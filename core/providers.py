"""Object-level access per provider (django-guardian), shared by every app that shows a
provider's data: a provider's own users, and the settlement auditors assigned to it.

Permissions are granted per provider, never per claim; selectors filter claims by the
providers a user may see (STYLE.md, Names and sizes).
"""

from django.contrib.auth.models import Permission
from django.db import transaction
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, get_objects_for_user

from .audit import record
from .errors import NotFound
from .models import Provider
from .roles import Role, has_role

PERMISSION = "core.access_provider"


def providers_visible_to(user):
    """The providers whose data this user may see: a QuerySet (office supervisors see all)."""
    if not user.is_authenticated:
        return Provider.objects.none()
    if has_role(user, Role.ADMIN, Role.SUPERVISOR):
        return Provider.objects.all()
    # Only per-user grants count: they are the ones the services below make and audit.
    return get_objects_for_user(user, PERMISSION, klass=Provider, use_groups=False, accept_global_perms=False)


def access_provider(user, provider_id, action: str = "view") -> Provider:
    """The provider, if the user may see its data: fetch and authorize in one call.

    A provider the user may not see is NotFound (404), like one that does not exist.
    """
    if action != "view":
        raise ValueError(f"unknown action {action!r}")
    provider = providers_visible_to(user).filter(pk=provider_id).first() if str(provider_id).isdigit() else None
    if provider is None:
        raise NotFound()
    return provider


def grant_provider_access(*, user, provider, actor) -> bool:
    """Let `user` see and act on `provider`'s data; audited. False if the user already had access."""
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).exists()  # one grant or revoke at a time
        if UserObjectPermission.objects.filter(user=user, permission=_permission(), object_pk=str(provider.pk)).exists():
            return False
        assign_perm(PERMISSION, user, provider)
        record(actor, "core.provider_access.granted", provider, None, {"user": user.get_username()})
    return True


def revoke_provider_access(*, user, provider, actor) -> bool:
    """Take `user`'s access to `provider` away; audited. False if the user had none."""
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).exists()
        deleted, _ = UserObjectPermission.objects.filter(
            user=user, permission=_permission(), object_pk=str(provider.pk)).delete()
        if not deleted:
            return False
        record(actor, "core.provider_access.revoked", provider, {"user": user.get_username()}, None)
    return True


def _permission() -> Permission:
    app_label, codename = PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)
