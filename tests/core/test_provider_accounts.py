"""`load_providers` and `create_api_token` (spec/review-rules.md)."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry, Provider
from core.providers import providers_visible_to
from core.roles import Role, has_role
from tests.factories import ProviderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = "provider_code,name,level,area,active"


def write(tmp_path, *lines, name="p.csv"):
    path = tmp_path / name
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


def load(path) -> list[str]:
    out = StringIO()
    call_command("load_providers", "--file", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def rows():
    return list(Provider.objects.order_by("code").values_list("code", "name", "level", "area", "active"))


def test_a_file_loads_and_loading_it_again_changes_nothing(tmp_path):
    path = write(tmp_path, "H1,第一医院,3,LOCAL,1", "H2,协和医院,3,out,0")
    assert load(path) == ["CREATED: 2", "UPDATED: 0", "UNCHANGED: 0", "PROVIDERS: 2"]
    first, entries = rows(), AuditEntry.objects.count()
    assert load(path) == ["CREATED: 0", "UPDATED: 0", "UNCHANGED: 2", "PROVIDERS: 2"]
    assert rows() == first == [("H1", "第一医院", 3, "LOCAL", True), ("H2", "协和医院", 3, "OUT", False)]
    assert AuditEntry.objects.count() == entries


def test_a_changed_row_updates_its_provider_with_an_audit_entry(tmp_path):
    load(write(tmp_path, "H1,第一医院,3,LOCAL,1", "H2,协和医院,3,OUT,1"))
    assert load(write(tmp_path, "H1,第一医院,2,LOCAL,1", name="2.csv")) == [
        "CREATED: 0", "UPDATED: 1", "UNCHANGED: 0", "PROVIDERS: 2"]
    entry = AuditEntry.objects.get(action="core.provider.updated")
    assert (entry.before["level"], entry.after["level"]) == (3, 2)


def test_every_bad_row_is_listed_and_nothing_is_loaded(tmp_path):
    path = write(tmp_path, "H1,第一医院,3,LOCAL,1", ",无编码,4,NEAR,yes", "H1,重复,1,LOCAL,1", "H3,短行")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_providers", "--file", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "line 3, column provider_code: the provider code is empty",
        "line 3, column level: the level is not 1, 2 or 3",
        "line 3, column area: the area is not LOCAL or OUT",
        "line 3, column active: active is not 0 or 1",
        "line 4, column provider_code: the same provider_code as line 2",
        "line 5, row: wrong number of columns",
    ]
    assert not Provider.objects.exists()


def token(*args) -> list[str]:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_a_token_is_made_for_a_new_provider_user_and_a_rerun_prints_the_same():
    provider, other = ProviderFactory(code="H32010001"), ProviderFactory()
    first = token("--provider", "H32010001", "--username", "h1_api")[-1]
    assert len(first) == 40
    assert token("--provider", "H32010001", "--username", "h1_api")[-1] == first
    user = get_user_model().objects.get(username="h1_api")
    assert has_role(user, Role.PROVIDER) and not user.has_usable_password()
    assert list(providers_visible_to(user)) == [provider] and other not in providers_visible_to(user)
    assert AuditEntry.objects.filter(action="core.api_token.issued").count() == 1
    assert "first" not in str(AuditEntry.objects.get(action="core.api_token.issued").after)


def test_an_unknown_provider_code_exits_non_zero_with_the_reason():
    with pytest.raises(CommandError, match="No provider has the code H404"):
        token("--provider", "H404", "--username", "x_api")
    assert not get_user_model().objects.filter(username="x_api").exists()


def test_a_user_of_another_provider_is_refused():
    ProviderFactory(code="H1"), ProviderFactory(code="H2")
    token("--provider", "H1", "--username", "shared_api")
    with pytest.raises(CommandError, match="already belongs to the provider H1"):
        token("--provider", "H2", "--username", "shared_api")


def test_office_staff_cannot_become_a_provider_user(clerk, admin_user):
    ProviderFactory(code="H1")
    for user in (clerk, admin_user):
        with pytest.raises(CommandError, match="belongs to the office's staff"):
            token("--provider", "H1", "--username", user.username)
        assert not has_role(user, Role.PROVIDER)


@pytest.mark.parametrize("args", [["provider"], ["--provider", "H32010001"], ["--username", "provider"]])
def test_a_usage_error_shows_the_specs_form_as_an_example(args, capsys):
    """`create_api_token provider` is not the spec's form: it exits 2 (nothing made), showing the form to copy."""
    from django.core.management import ManagementUtility

    ProviderFactory(code="H32010001")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "create_api_token", *args]).execute()
    assert exited.value.code == 2
    assert "python manage.py create_api_token --provider H32010001 --username provider" in capsys.readouterr().err
    with pytest.raises(CommandError, match="--provider H32010001 --username provider"):
        token(*args)
    assert not get_user_model().objects.filter(username="provider").exists()
