"""What the apps contribute to the kernel (core.registry): menu, home panels, role grants, demo data."""

import inspect
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.template.loader import get_template
from django.urls import reverse

from core import registry
from core.roles import Role, sync_roles

REVEAL = ("enrollment", "view_full_id_number")


def test_every_menu_entry_resolves():
    entries = registry.navigation()
    assert entries[0].url_name == "home"  # core's own comes first
    for entry in entries:
        reverse(entry.url_name)
        assert entry.roles is None or set(entry.roles) <= set(Role.values), entry


def test_the_apps_contribute_their_menus():
    names = [e.url_name for e in registry.navigation()]
    assert "enrollment:person_search" in names and "supervision:problem_list" in names
    assert names.index("enrollment:person_search") < names.index("supervision:problem_list")  # INSTALLED_APPS order


def test_every_home_panel_has_its_template_and_data():
    panels = registry.home_panels()
    assert {p.template for p in panels} >= {"enrollment/_home_panel.html", "settlement/_home_panel.html"}
    for panel in panels:
        get_template(panel.template)
        assert panel.roles and set(panel.roles) <= set(Role.values)
        if panel.data:
            assert callable(registry.resolve(panel.data))


def test_every_demo_seeder_takes_the_demos_size():
    seeders = dict(registry.demo_seeders())
    assert "enrollment" in seeders
    for seed in seeders.values():
        assert "persons" in inspect.signature(seed).parameters


def test_an_unknown_contribution_is_refused():
    with pytest.raises(ValueError):
        list(registry.contributions("nav_entry"))


@pytest.mark.django_db
def test_every_granted_permission_exists():
    for role, perms in registry.role_permissions().items():
        assert role in Role.values
        for dotted in perms:
            app_label, codename = dotted.split(".")
            assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists(), dotted


@pytest.mark.django_db
def test_sync_roles_gives_each_group_what_the_apps_grant():
    sync_roles()
    def held(role):
        return set(Group.objects.get(name=role.value).permissions.values_list("content_type__app_label", "codename"))

    assert held(Role.REVIEWER) == {REVEAL}
    assert held(Role.SUPERVISOR) == {REVEAL, ("core", "view_auditentry")}
    assert held(Role.CLERK) == set()
    assert {g.name for g in Group.objects.all()} >= set(Role.values)


@pytest.mark.django_db
def test_after_migrate_the_groups_hold_permissions_of_apps_after_core():
    """Each app's permissions are made by its own post_migrate, after core's: the grants wait for the last."""
    Permission.objects.filter(content_type__app_label=REVEAL[0], codename=REVEAL[1]).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert Group.objects.get(name=Role.REVIEWER.value).permissions.filter(codename=REVEAL[1]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role, shown, hidden", [
    ("reviewer", "Waiting for my review", 'data-panel="settlement"'),
    ("provider", 'data-panel="settlement"', "My open cases"),
    ("settlement_auditor", 'data-panel="settlement"', "My open cases"),
])
def test_the_home_page_shows_the_panels_of_the_users_roles(personas, client_for, english_pages, role, shown, hidden):
    content = client_for(personas[role]).get(reverse("home")).content.decode()
    assert shown in content
    assert hidden not in content


@pytest.mark.django_db
def test_the_menu_shows_the_entries_of_the_users_roles(personas, client_for):
    clerk_page = client_for(personas["clerk"]).get(reverse("home")).content.decode()
    provider_page = client_for(personas["provider"]).get(reverse("home")).content.decode()
    assert reverse("enrollment:application_create") in clerk_page
    assert reverse("enrollment:person_search") not in provider_page


@pytest.mark.django_db
def test_seed_demo_runs_each_apps_demo_seeding():
    out = StringIO()
    call_command("seed_demo", persons=30, stdout=out)
    text = out.getvalue()
    assert "Providers: 6." in text and "Employers: 20." in text
    assert "reviewer" in text
