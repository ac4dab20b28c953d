"""Per-provider access (core.providers): who sees which provider, and grants and revokes audited."""

import pytest
from django.urls import reverse

from core.errors import NotFound
from core.models import AuditEntry, Provider
from core.providers import (
    PERMISSION,
    access_provider,
    grant_provider_access,
    providers_visible_to,
    revoke_provider_access,
)
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def providers():
    return ProviderFactory.create_batch(3)


def test_a_providers_user_sees_only_their_provider(provider_user, providers, admin_user):
    own, other, _ = providers
    grant_provider_access(user=provider_user, provider=own, actor=admin_user)
    assert list(providers_visible_to(provider_user)) == [own]
    assert provider_user.has_perm(PERMISSION, own)
    assert not provider_user.has_perm(PERMISSION, other)


def test_an_auditor_sees_only_the_providers_assigned(auditor, providers, admin_user):
    first, second, third = providers
    for provider in (first, third):
        grant_provider_access(user=auditor, provider=provider, actor=admin_user)
    assert list(providers_visible_to(auditor)) == [first, third]


def test_access_provider_gives_ones_own_provider_and_404_for_any_other(provider_user, auditor, providers,
                                                                     admin_user, supervisor):
    own, other, _ = providers
    grant_provider_access(user=provider_user, provider=own, actor=admin_user)
    assert access_provider(provider_user, own.pk) == own
    assert access_provider(provider_user, str(own.pk)) == own
    for user, provider_id in ((provider_user, other.pk), (auditor, own.pk), (provider_user, "x"),
                              (provider_user, 10**9)):
        with pytest.raises(NotFound):
            access_provider(user, provider_id)
    assert access_provider(supervisor, other.pk) == other
    with pytest.raises(ValueError):
        access_provider(provider_user, own.pk, "delete")


def test_nobody_sees_a_provider_without_a_grant(personas, providers):
    for role in ("clerk", "reviewer", "senior_reviewer", "settlement_auditor", "provider"):
        assert not providers_visible_to(personas[role]).exists(), role


def test_supervisors_and_admins_see_every_provider(supervisor, admin_user, providers):
    assert providers_visible_to(supervisor).count() == 3
    assert providers_visible_to(admin_user).count() == 3


def test_an_anonymous_user_sees_none(providers):
    from django.contrib.auth.models import AnonymousUser

    assert not providers_visible_to(AnonymousUser()).exists()


def test_a_group_grant_does_not_count(provider_user, providers):
    """Only per-user grants, made and audited by the services, give access."""
    from guardian.shortcuts import assign_perm

    assign_perm(PERMISSION, provider_user.groups.get(), providers[0])
    assert not providers_visible_to(provider_user).exists()


def _entries(action):
    return list(AuditEntry.objects.filter(action=action).values_list("actor_name", "object_type", "object_id",
                                                                        "before", "after"))


def test_grant_and_revoke_are_audited_once(provider_user, providers, admin_user):
    provider = providers[0]
    assert grant_provider_access(user=provider_user, provider=provider, actor=admin_user) is True
    assert grant_provider_access(user=provider_user, provider=provider, actor=admin_user) is False
    assert _entries("core.provider_access.granted") == [
        (admin_user.username, "core.provider", str(provider.pk), None, {"user": provider_user.username})]
    assert revoke_provider_access(user=provider_user, provider=provider, actor=admin_user) is True
    assert revoke_provider_access(user=provider_user, provider=provider, actor=admin_user) is False
    assert _entries("core.provider_access.revoked") == [
        (admin_user.username, "core.provider", str(provider.pk), {"user": provider_user.username}, None)]
    assert not providers_visible_to(provider_user).exists()


def _manage_user_url(provider, user):
    return reverse("admin:core_provider_permissions_manage_user", args=[provider.pk, user.pk])


def test_a_grant_and_a_revoke_in_the_admin_are_audited(client_for, admin_user, provider_user, providers):
    provider = providers[0]
    client = client_for(admin_user)
    page = client.get(_manage_user_url(provider, provider_user))
    assert page.status_code == 200
    assert [c for c, _ in page.context["form"].fields["permissions"].choices] == ["access_provider"]

    response = client.post(_manage_user_url(provider, provider_user), {"permissions": ["access_provider"]})
    assert response.status_code == 302
    assert list(providers_visible_to(provider_user)) == [provider]
    assert _entries("core.provider_access.granted") == [
        (admin_user.username, "core.provider", str(provider.pk), None, {"user": provider_user.username})]

    # Nothing selected: the browser sends only the CSRF token.
    assert client.post(_manage_user_url(provider, provider_user), {"csrfmiddlewaretoken": "x"}).status_code == 302
    assert not providers_visible_to(provider_user).exists()
    assert _entries("core.provider_access.revoked") == [
        (admin_user.username, "core.provider", str(provider.pk), {"user": provider_user.username}, None)]


def test_the_admin_grants_no_provider_access_to_a_group(client_for, admin_user, provider_user, providers):
    provider = providers[0]
    group = provider_user.groups.get()
    url = reverse("admin:core_provider_permissions_manage_group", args=[provider.pk, group.pk])
    response = client_for(admin_user).post(url, {"permissions": ["access_provider"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:core_provider_permissions", args=[provider.pk])
    assert not providers_visible_to(provider_user).exists()
    from guardian.models import GroupObjectPermission

    assert not GroupObjectPermission.objects.exists()


def test_the_admin_lists_providers(client_for, admin_user, providers):
    response = client_for(admin_user).get(reverse("admin:core_provider_changelist"))
    assert response.status_code == 200
    assert providers[0].code in response.content.decode()
    assert Provider._meta.app_label == "core"


def test_seed_demo_grants_the_demo_logins_audited(db):
    from core.demo_providers import seed_providers
    from core.demo_users import ensure_demo_users

    ensure_demo_users()
    assert seed_providers() == 6
    seed_providers()  # idempotent: no second grant
    from django.contrib.auth import get_user_model

    User = get_user_model()
    assert [p.code for p in providers_visible_to(User.objects.get(username="provider"))] == ["H32010001"]
    assert providers_visible_to(User.objects.get(username="auditor")).count() == 3
    assert AuditEntry.objects.filter(action="core.provider_access.granted").count() == 4


def test_the_admin_shows_a_providers_level_as_a_word(client_for, admin_user, providers, english_pages):
    content = client_for(admin_user).get(reverse("admin:core_provider_changelist")).content.decode()
    assert f'<td class="field-level_name">level {providers[0].level}</td>' in content
