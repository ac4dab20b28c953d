"""The register's read API: the permission matrix, masking, status on a date, the audited reveal."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.masking import mask_id_number
from core.models import AuditEntry
from enrollment.identity import with_id_check_character
from enrollment.models import StatusChange
from tests.factories import EmployerFactory, PersonFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/enrollment"
ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]
STAFF = {"clerk", "reviewer", "senior_reviewer", "supervisor", "admin"}
MAY_REVEAL = {"reviewer", "senior_reviewer", "supervisor", "admin"}



def id_number(n: int) -> str:
    birth = date(1970, 1, 1) + timedelta(days=n * 7)
    return with_id_check_character(f"440106{birth:%Y%m%d}{(n % 500) * 2 + 1:03d}")


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def employer():
    return EmployerFactory(name="示范市瑞丰医药有限公司")


@pytest.fixture
def zhang(employer):
    """Insured from 2020, suspended in mid-2023, active again from 2024, terminated at the end of 2025."""
    person = PersonFactory(id_number=id_number(1), name="张三", insurance_type="EMP", employer_code=employer.uscc,
                           status="TERMINATED", status_date=date(2025, 12, 31))
    for status, on in [("ACTIVE", date(2020, 1, 1)), ("SUSPENDED", date(2023, 7, 1)), ("ACTIVE", date(2024, 1, 1))]:
        StatusChange.objects.get_or_create(person=person, status=status, status_date=on,
                                           defaults={"source": StatusChange.Source.LOAD})
    return person


def endpoints(person, employer) -> list[str]:
    return [f"{API}/persons/?q=张", f"{API}/persons/{person.pk}/", f"{API}/persons/{person.pk}/?status_on=2024-02-01",
            f"{API}/employers/", f"{API}/employers/{employer.pk}/", f"{API}/employers/{employer.pk}/staff/"]


@pytest.mark.parametrize("role", ROLES)
def test_only_enrollment_staff_read_the_register(personas, zhang, employer, role):
    client = api_for(personas[role])
    for url in endpoints(zhang, employer):
        response = client.get(url)
        if role in STAFF:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
            assert response.json()["code"] == "permission_denied"
            assert "张三" not in response.content.decode()


def test_without_credentials_the_api_answers_401(zhang, employer):
    for url in endpoints(zhang, employer):
        assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("url", ["persons/987654/", "employers/987654/", "employers/987654/staff/"])
def test_an_unknown_id_is_404(clerk, url):
    response = api_for(clerk).get(f"{API}/{url}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", sorted(STAFF))
def test_no_answer_carries_a_full_identity_number(personas, zhang, employer, role):
    client = api_for(personas[role])
    for url in [*endpoints(zhang, employer), f"{API}/persons/?q={zhang.id_number}"]:
        assert zhang.id_number not in client.get(url).content.decode(), url
    found = client.get(f"{API}/persons/", {"q": zhang.id_number}).json()["results"]
    assert [p["id_number"] for p in found] == [mask_id_number(zhang.id_number)]


def test_search_answers_each_kind_of_query(clerk, zhang):
    PersonFactory(id_number=id_number(2), name="单雄信")
    PersonFactory(id_number=id_number(3), name="曾国藩")
    client = api_for(clerk)

    def names(q):
        return [p["name"] for p in client.get(f"{API}/persons/", {"q": q}).json()["results"]]

    assert names(zhang.id_number) == ["张三"]
    assert names(zhang.id_number[:14]) == []  # a clerk may not narrow down the masked digits
    assert names("4401") == ["张三", "单雄信", "曾国藩"]  # the four digits the mask shows, in number order
    assert names("张") == ["张三"]
    assert names("zs") == ["张三"]
    assert names("sxx") == ["单雄信"]
    assert names("ZGF") == ["曾国藩"]
    assert names("") == []


def test_search_pages_without_counting(clerk):
    for n in range(7):
        PersonFactory(id_number=id_number(10 + n), name="李四")
    client = api_for(clerk)
    first = client.get(f"{API}/persons/", {"q": "李四", "page_size": 5}).json()
    assert set(first) == {"next", "previous", "results"}
    assert len(first["results"]) == 5 and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None and second["previous"]
    assert {p["id"] for p in first["results"]}.isdisjoint({p["id"] for p in second["results"]})


@pytest.mark.parametrize("on, expected", [
    ("2019-12-31", None), ("2020-01-01", "ACTIVE"), ("2023-06-30", "ACTIVE"), ("2023-07-01", "SUSPENDED"),
    ("2023-12-31", "SUSPENDED"), ("2024-01-01", "ACTIVE"), ("2025-12-30", "ACTIVE"), ("2025-12-31", "TERMINATED"),
    ("2026-06-01", "TERMINATED"),
])
def test_status_on_answers_the_status_in_force_on_a_date(clerk, zhang, on, expected):
    data = api_for(clerk).get(f"{API}/persons/{zhang.pk}/", {"status_on": on}).json()
    assert data["status_on"] == {"date": on, "status": expected}
    assert data["status"] == "TERMINATED"


def test_the_person_detail_carries_the_whole_status_history_latest_first(clerk, zhang):
    data = api_for(clerk).get(f"{API}/persons/{zhang.pk}/").json()
    assert data["status_on"] is None
    assert [(s["status"], s["status_date"]) for s in data["status_history"]] == [
        ("TERMINATED", "2025-12-31"), ("ACTIVE", "2024-01-01"), ("SUSPENDED", "2023-07-01"), ("ACTIVE", "2020-01-01"),
    ]
    assert data["id_number"] == mask_id_number(zhang.id_number)


def test_a_date_that_is_not_a_date_is_400(clerk, zhang):
    response = api_for(clerk).get(f"{API}/persons/{zhang.pk}/", {"status_on": "2024-02-30"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["column"] == "status_on"


@pytest.mark.parametrize("role", ROLES)
def test_the_full_number_endpoint_needs_the_permission_and_is_audited(personas, zhang, role):
    user = personas[role]
    response = api_for(user).post(f"{API}/persons/{zhang.pk}/id-number/")
    entries = AuditEntry.objects.filter(action="enrollment.person.id_number_viewed", object_id=str(zhang.pk))
    if role in MAY_REVEAL:
        assert response.status_code == 200
        assert response.json() == {"id_number": zhang.id_number}
        assert response["Cache-Control"] == "no-store"
        assert entries.get().actor_id == user.pk
    else:
        assert response.status_code == 403
        assert zhang.id_number not in response.content.decode()
        assert not entries.exists()


def test_employers_filter_by_code_or_name_prefix_and_status(clerk, employer):
    closed = EmployerFactory(name="示范市瑞丰商贸有限公司", status="CLOSED")
    client = api_for(clerk)

    def names(**params):
        return sorted(e["name"] for e in client.get(f"{API}/employers/", params).json()["results"])

    assert names(q="示范市瑞丰") == sorted([employer.name, closed.name])
    assert names(q="示范市瑞丰", status="CLOSED") == [closed.name]
    assert names(q=employer.uscc[:12]) == [employer.name]
    assert client.get(f"{API}/employers/", {"status": "NOPE"}).status_code == 400


def test_the_employer_detail_counts_its_staff_and_the_staff_list_is_masked(clerk, employer, zhang):
    PersonFactory(id_number=id_number(5), name="王五", insurance_type="EMP", employer_code=employer.uscc)
    client = api_for(clerk)
    detail = client.get(f"{API}/employers/{employer.pk}/").json()
    assert detail["staff_counts"] == {"total": 2, "ACTIVE": 1, "SUSPENDED": 0, "TERMINATED": 1}
    staff = client.get(f"{API}/employers/{employer.pk}/staff/").json()["results"]
    assert [p["name"] for p in staff] == sorted(["张三", "王五"])
    assert all("*" in p["id_number"] for p in staff)


def test_the_search_runs_a_fixed_number_of_queries(clerk, django_assert_max_num_queries):
    for n in range(60):
        PersonFactory(id_number=id_number(100 + n), name="赵六")
    client = api_for(clerk)
    client.get(f"{API}/persons/", {"q": "赵"})
    with django_assert_max_num_queries(3):
        assert len(client.get(f"{API}/persons/", {"q": "赵"}).json()["results"]) == 50


def test_the_schema_describes_the_register_endpoints_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for operation in ("enrollment_persons_search", "enrollment_person_retrieve", "enrollment_person_reveal_id_number",
                      "enrollment_employers_list", "enrollment_employer_retrieve", "enrollment_employer_staff"):
        assert f"operationId: {operation}" in schema
    assert "name: status_on" in schema
