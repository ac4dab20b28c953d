import pytest

PROVIDERS = [
    ("H32010001", "示范市第一人民医院", 3, "LOCAL"),
    ("H32010003", "示范市鼓楼区社区卫生服务中心", 1, "LOCAL"),
    ("H11010001", "北京协和医院", 3, "OUT"),
    ("H11010002", "北京大学第一医院", 3, "OUT"),
    ("H11010003", "北京市朝阳区社区卫生服务中心", 1, "OUT"),
    ("H31010001", "上海瑞金医院", 3, "OUT"),
]


@pytest.fixture
def providers(db):
    """A few providers, local and out of area, by code."""
    from core.models import Provider

    return {code: Provider.objects.update_or_create(code=code, defaults={"name": name, "level": level, "area": area})[0]
            for code, name, level, area in PROVIDERS}
