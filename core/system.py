"""The system actor: the user that scheduled jobs and automatic decisions act as.

The night closing the discrepancies that disappeared from the agency's extract, the ledger
reopening a closed problem that is reported again, the overdue-case job: each changes state
through core.workflow as this user, whose one role is Role.SYSTEM. A transitions table grants
that role a move explicitly, or the move is refused: no job skips the check. Audit entries name
it like any actor ("system").

The user cannot log in (inactive, no usable password) and is created on first use, so a fresh
database needs no step for it. A login-capable account that happens to have its name is never
promoted: that is refused as a misconfiguration.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from .roles import Role

SYSTEM_USERNAME = "system"


def system_user():
    """The system user, holding Role.SYSTEM (created on first use)."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False, "first_name": "System"})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.is_active or user.has_usable_password():
        raise ImproperlyConfigured(
            f"The user {SYSTEM_USERNAME!r} can log in, so it cannot act as the system: rename that account.")
    group, _created = Group.objects.get_or_create(name=Role.SYSTEM.value)
    user.groups.add(group)
    return user


def is_system(user) -> bool:
    """Whether `user` is the system user (pages say "the nightly schedule" instead of its name)."""
    return getattr(user, "username", None) == SYSTEM_USERNAME and not getattr(user, "is_active", True)


def staff_name(user) -> str:
    """A member of staff as pages name them: the full name, else the user name; the system user as
    "the system" (系统). "" for no user."""
    if user is None:
        return ""
    if is_system(user):
        return str(_("The system"))
    return user.get_full_name() or user.get_username()
