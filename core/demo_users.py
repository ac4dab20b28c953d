"""Demo logins, one per role (seed_demo). Development and demonstration only."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import Role, sync_roles

DEMO_PASSWORD = "demo-2026"

DEMO_USERS = [
    # username, role, full name
    ("clerk", Role.CLERK, "王芳"),
    ("clerk2", Role.CLERK, "李娜"),
    ("reviewer", Role.REVIEWER, "张伟"),
    ("senior", Role.SENIOR_REVIEWER, "刘洋"),
    ("auditor", Role.SETTLEMENT_AUDITOR, "陈静"),
    ("supervisor", Role.SUPERVISOR, "杨磊"),
    ("provider", Role.PROVIDER, "示范市第一人民医院 医保办"),
    ("admin", Role.ADMIN, "系统管理员"),
]


def ensure_demo_users() -> list[tuple[str, str]]:
    sync_roles()
    User = get_user_model()
    out = []
    for username, role, full_name in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role == Role.ADMIN
            user.is_superuser = role == Role.ADMIN
            user.save()
        user.groups.add(Group.objects.get(name=role.value))
        out.append((username, str(role.label)))
    return out
