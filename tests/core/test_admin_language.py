"""The admin's labels are Chinese too (issue 14, item 4): the index, the calendar, the login lockouts
(django-axes), the roles' groups and the beat schedule (django-celery-beat).

Every message those pages look up in zh-hans must have its Chinese: in the compiled catalogue, or in
locale/pending (merged into it by `make messages`); third-party messages their own catalogues lack
are named in config/third_party_msgids.py so that `make messages` extracts them.
"""

import json
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from core.models import CalendarDay
from core.roles import Role
from tests.plain_text import visible_text

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db
IN_SCOPE = ("core_calendar", "axes_", "auth_group", "django_celery_beat_", "authtoken_")


def pending_msgids() -> set[str]:
    out = set()
    for path in (ROOT / "locale" / "pending").glob("*.json"):
        out |= set(json.loads(path.read_text(encoding="utf-8")))
    return out


@pytest.fixture
def untranslated(monkeypatch):
    """The messages looked up in zh-hans that came back as they went in (no Chinese for them)."""
    seen: dict[str, set[str]] = {"looked up": set(), "untranslated": set()}
    original = trans_real.DjangoTranslation.gettext

    def gettext(self, message):
        out = original(self, message)
        if self.language() == "zh-hans" and re.search("[A-Za-z]", message):
            seen["looked up"].add(message)
            if out == message:
                seen["untranslated"].add(message)
        return out

    monkeypatch.setattr(trans_real.DjangoTranslation, "gettext", gettext)
    return seen


def _admin_pages() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        if not info.startswith(IN_SCOPE):
            continue
        urls.append(reverse(f"admin:{info}_changelist"))
        urls.append(reverse(f"admin:{info}_add"))
        obj = model._default_manager.first()
        if obj is not None:
            urls.append(reverse(f"admin:{info}_change", args=[obj.pk]))
    return urls


def test_the_admin_pages_have_chinese_for_every_label(admin_user, untranslated):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin_user)
    pages = _admin_pages()
    assert len(pages) > 20
    for url in pages:
        assert client.get(url).status_code in (200, 403), url  # axes' records cannot be added by hand
    assert {"Model name", "access logs", "Login lockouts"} <= untranslated["looked up"]  # the check sees them
    assert sorted(untranslated["untranslated"] - pending_msgids()) == []


def test_the_axes_app_and_the_calendar_have_translatable_labels():
    from django.apps import apps
    from django.utils.functional import Promise

    assert isinstance(apps.get_app_config("axes").verbose_name, Promise)
    for model in (apps.get_model("core", "CalendarDay"), apps.get_model("core", "CalendarYear")):
        assert all(isinstance(f.verbose_name, Promise) for f in model._meta.fields), model


def test_the_groups_show_the_roles_names(admin_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin_user)
    page = visible_text(client.get(reverse("admin:auth_group_changelist")).content.decode())
    assert "窗口受理员" in page and "审核员" in page
    user_page = client.get(reverse("admin:auth_user_change", args=[admin_user.pk])).content.decode()
    with translation.override("zh-hans"):
        assert f">{Role.CLERK.label}<" in user_page.replace("\n", "") and ">clerk<" not in user_page


def test_the_calendar_names_holidays_in_the_office_language():
    day = CalendarDay(name="Spring Festival", is_workday=False)
    with translation.override("en"):
        assert day.shown_name == "Spring Festival"
    assert CalendarDay(name="某个自定义假日", is_workday=False).shown_name == "某个自定义假日"
