"""Demo providers (seed_demo), and the demo provider user's and auditor's access to them.

Providers are shared by every app, so they are seeded with the demo logins, before any app's demo data.
"""

from django.contrib.auth import get_user_model

from .models import Provider
from .providers import grant_provider_access

DEMO_PROVIDERS = [
    ("H32010001", "示范市第一人民医院", 3, "LOCAL"),
    ("H32010002", "示范市中医院", 3, "LOCAL"),
    ("H32010003", "示范市鼓楼区社区卫生服务中心", 1, "LOCAL"),
    ("H32010004", "示范市第二人民医院", 2, "LOCAL"),
    ("P32010001", "示范市国药大药房", 1, "LOCAL"),
    ("H11010001", "北京协和医院", 3, "OUT"),
]


def seed_providers() -> int:
    for code, name, level, area in DEMO_PROVIDERS:
        Provider.objects.update_or_create(code=code, defaults={"name": name, "level": level, "area": area})
    User = get_user_model()
    first = DEMO_PROVIDERS[0][0]
    for username, codes in (("provider", [first]), ("auditor", [p[0] for p in DEMO_PROVIDERS[:3]])):
        user = User.objects.filter(username=username).first()
        if user:
            for provider in Provider.objects.filter(code__in=codes):
                grant_provider_access(user=user, provider=provider, actor=None)
    return len(DEMO_PROVIDERS)
