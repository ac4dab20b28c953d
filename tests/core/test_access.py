"""Which pages each role can and cannot open; what an anonymous visitor may see."""

import pytest
from django.urls import reverse

from supervision.services import report_problem

pytestmark = pytest.mark.django_db

ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]
LEDGER_ROLES = {"supervisor", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_opens_the_home_page(personas, client_for, role):
    user = personas[role]
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    assert (user.get_full_name() or user.username) in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_only_supervisors_and_admins_open_the_whole_problem_ledger(personas, client_for, role):
    """The office's other staff open the list of the problems given to them (none here), and a problem
    not given to them is not there; a provider opens nothing of it."""
    problem, _ = report_problem(source_key="test:ledger", source_app="core", category="test", title="台账测试")
    client = client_for(personas[role])
    listed, detail = (200, 200) if role in LEDGER_ROLES else (403, 403) if role == "provider" else (200, 404)
    response = client.get(reverse("supervision:problem_list"))
    assert response.status_code == listed
    if listed == 200:
        assert len(response.context["rows"]) == (1 if role in LEDGER_ROLES else 0)
    assert client.get(reverse("supervision:problem_detail", args=[problem.pk])).status_code == detail


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_shows_the_ledger_only_to_those_who_may_open_it(personas, client_for, role):
    content = client_for(personas[role]).get(reverse("home")).content.decode()
    assert (reverse("supervision:problem_list") in content) == (role in LEDGER_ROLES)


@pytest.mark.parametrize("url", [
    "/", "/supervision/problems/", "/supervision/problems/1/", "/api/docs/", "/api/redoc/",
])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("url, status", [
    ("/login/", 200), ("/verify/", 200), ("/verify/NOSUCHCODE234", 404), ("/healthz", 200),
])
def test_login_letter_verification_and_health_need_no_login(client, settings, url, status):
    settings.REDIS_URL = ""
    response = client.get(url)
    assert response.status_code == status
    assert not response.get("Location", "").startswith(reverse("login"))


def test_the_problem_ledger_runs_a_fixed_number_of_queries(supervisor, client_for, django_assert_max_num_queries):
    for n in range(60):
        report_problem(source_key=f"test:q{n}", source_app="core", category="test", title=f"问题 {n}")
    client = client_for(supervisor)
    with django_assert_max_num_queries(9):  # with one GROUP BY for the counts per state and the filters' choices
        response = client.get(reverse("supervision:problem_list"))
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == 50
