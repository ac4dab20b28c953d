"""The register's pages: who may open them, masking, the audited reveal, the person's and the
employer's pages, and query counts that do not grow with the rows shown."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.audit import record
from core.masking import mask_id_number
from core.models import AuditEntry
from enrollment.identity import with_id_check_character
from enrollment.models import Application, Discrepancy, Employer, StatusChange
from tests.factories import EmployerFactory, PersonFactory

pytestmark = pytest.mark.django_db

ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]
STAFF = {"clerk", "reviewer", "senior_reviewer", "supervisor", "admin"}
MAY_REVEAL = {"reviewer", "senior_reviewer", "supervisor", "admin"}



def id_number(n: int, county: str = "320911") -> str:
    birth = date(1950, 1, 1) + timedelta(days=n * 3)
    return with_id_check_character(f"{county}{birth:%Y%m%d}{(n % 500) * 2 + 1:03d}")


def make_person(n: int, name: str = "张三", **extra):
    return PersonFactory(id_number=id_number(n), name=name, **extra)


@pytest.fixture
def employer():
    return EmployerFactory(name="示范市华信科技有限公司")


@pytest.fixture
def zhang(employer):
    return make_person(1, "张三", insurance_type="EMP", employer_code=employer.uscc)


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode()


def page_urls(person, employer) -> list[str]:
    return [
        reverse("enrollment:person_search") + "?q=张",
        reverse("enrollment:person_detail", args=[person.pk]),
        reverse("enrollment:employer_list"),
        reverse("enrollment:employer_detail", args=[employer.pk]),
        reverse("enrollment:person_search_export") + "?q=张&format=csv",
        reverse("enrollment:employer_staff_export", args=[employer.pk]) + "?format=csv",
    ]


# --- who may open what --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_only_enrollment_staff_open_the_register_pages(personas, client_for, zhang, employer, role):
    client = client_for(personas[role])
    for url in page_urls(zhang, employer):
        response = client.get(url)
        assert response.status_code == (200 if role in STAFF else 403), url
        if role not in STAFF:
            assert zhang.name not in body(response)


@pytest.mark.parametrize("role", ROLES)
def test_the_menu_offers_persons_and_employers_to_staff_only(personas, client_for, role):
    content = client_for(personas[role]).get(reverse("home")).content.decode()
    assert (reverse("enrollment:person_search") in content) == (role in STAFF)
    assert (reverse("enrollment:employer_list") in content) == (role in STAFF)


def test_an_unknown_person_or_employer_is_not_found(clerk, client_for):
    client = client_for(clerk)
    assert client.get(reverse("enrollment:person_detail", args=[987654])).status_code == 404
    assert client.get(reverse("enrollment:employer_detail", args=[987654])).status_code == 404
    assert client.post(reverse("enrollment:person_reveal_id_number", args=[987654])).status_code in (403, 404)


def test_an_anonymous_visitor_is_sent_to_log_in(client, zhang, employer):
    for url in page_urls(zhang, employer):
        assert client.get(url).status_code == 302


# --- masking ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(STAFF))
def test_no_page_shows_a_full_identity_number(personas, client_for, zhang, employer, role):
    client = client_for(personas[role])
    for url in page_urls(zhang, employer):
        content = body(client.get(url))
        assert zhang.id_number not in content, url
        if not url.endswith("/employers/"):
            assert zhang.name in content, url
    # Searched by the full number, the box keeps what was typed; the results show it masked.
    search = body(client.get(reverse("enrollment:person_search"), {"q": zhang.id_number}))
    results = search.split('<table class="list">')[1].split("</table>")[0]
    assert mask_id_number(zhang.id_number) in results
    assert zhang.id_number not in results
    partial = body(client.get(reverse("enrollment:person_search"), {"q": "zs"}, HTTP_HX_REQUEST="true",
                              HTTP_HX_TARGET="results"))
    assert "<html" not in partial
    assert mask_id_number(zhang.id_number) in partial
    assert zhang.id_number not in partial


def test_numbers_quoted_in_the_audit_trail_are_masked_on_the_page(reviewer, client_for, zhang):
    with transaction.atomic():
        record(reviewer, "enrollment.person.changed", zhang, None, {"note": f"merged from {zhang.id_number}"})
    content = client_for(reviewer).get(reverse("enrollment:person_detail", args=[zhang.pk])).content.decode()
    assert f"merged from {mask_id_number(zhang.id_number)}" in content
    assert zhang.id_number not in content


# --- the audited reveal -------------------------------------------------------------------------------

def reveals_of(person):
    return AuditEntry.objects.filter(action="enrollment.person.id_number_viewed", object_id=str(person.pk))


@pytest.mark.parametrize("role", ROLES)
def test_the_full_number_is_shown_only_with_the_permission_and_each_view_is_audited(personas, client_for, zhang,
                                                                                   role):
    user = personas[role]
    client = client_for(user)
    url = reverse("enrollment:person_reveal_id_number", args=[zhang.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    if role in MAY_REVEAL:
        assert response.status_code == 200
        assert zhang.id_number in response.content.decode()
        assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
        entry = reveals_of(zhang).get()
        assert (entry.actor_id, entry.object_type) == (user.pk, "enrollment.person")
        client.post(url, HTTP_HX_REQUEST="true")
        assert reveals_of(zhang).count() == 2
    else:
        assert response.status_code == 403
        assert zhang.id_number not in response.content.decode()
        assert not reveals_of(zhang).exists()


def test_without_htmx_the_reveal_shows_the_person_page_with_the_number(reviewer, client_for, zhang):
    response = client_for(reviewer).post(reverse("enrollment:person_reveal_id_number", args=[zhang.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert zhang.id_number in content and "<html" in content
    assert "no-store" in response["Cache-Control"]


def test_the_reveal_is_a_post(reviewer, client_for, zhang):
    response = client_for(reviewer).get(reverse("enrollment:person_reveal_id_number", args=[zhang.pk]))
    assert response.status_code == 405
    assert not reveals_of(zhang).exists()


@pytest.mark.parametrize("role", sorted(STAFF))
def test_the_show_full_number_control_appears_only_for_those_who_may_use_it(personas, client_for, zhang, role):
    content = client_for(personas[role]).get(reverse("enrollment:person_detail", args=[zhang.pk])).content.decode()
    reveal_url = reverse("enrollment:person_reveal_id_number", args=[zhang.pk])
    assert (reveal_url in content) == (role in MAY_REVEAL)


# --- the person's page -------------------------------------------------------------------------------

def add_history(person, clerk, n: int):
    """n status changes, applications, discrepancies (open and closed) and audit entries for a person."""
    for i in range(n):
        StatusChange.objects.create(person=person, status="SUSPENDED" if i % 2 else "ACTIVE",
                                    status_date=date(2021, 1, 1) + timedelta(days=i),
                                    source=StatusChange.Source.MANUAL, reference=f"REF-{i}")
        Application.objects.create(number=f"DJ-2026-{person.pk}-{i:04d}", kind=Application.Kind.CHANGE_INFO,
                                   applicant_name=person.name, created_by=clerk, person=person)
        Discrepancy.objects.create(kind=Discrepancy.Kind.FIELD_MISMATCH, id_number=person.id_number,
                                   field=Discrepancy.FIELDS[i % len(Discrepancy.FIELDS)] if i < 8 else f"f{i}",
                                   our_value=f"ours-{i}", agency_value=f"theirs-{i}",
                                   first_seen=date(2026, 1, 1), last_seen=date(2026, 1, 2),
                                   closed_on=date(2026, 2, 1) if i % 2 else None,
                                   status=Discrepancy.Status.CLOSED if i % 2 else Discrepancy.Status.OPEN)
    with transaction.atomic():
        for i in range(n):
            record(clerk, "enrollment.person.changed", person, {"phone": str(i)}, {"phone": str(i + 1)})


def test_the_person_page_shows_history_applications_discrepancies_and_the_timeline(clerk, client_for, zhang,
                                                                                     employer):
    add_history(zhang, clerk, 4)
    other = make_person(2, "李四")
    Discrepancy.objects.create(kind=Discrepancy.Kind.MISSING_AGENCY, id_number=other.id_number,
                               first_seen=date(2026, 1, 1), last_seen=date(2026, 1, 1), our_value="not-theirs")
    content = client_for(clerk).get(reverse("enrollment:person_detail", args=[zhang.pk])).content.decode()
    for i in range(4):
        assert f"REF-{i}" in content
        assert f"DJ-2026-{zhang.pk}-{i:04d}" in content
        assert f"ours-{i}" in content
    assert "not-theirs" not in content
    for application in Application.objects.filter(person=zhang):
        assert f'href="/enrollment/applications/{application.pk}/"' in content
    discrepancies = list(Discrepancy.objects.filter(id_number=zhang.id_number))
    for d in discrepancies:
        assert f'href="/enrollment/discrepancies/{d.pk}/"' in content
    open_positions = [content.index(f"ours-{i}") for i in (0, 2)]
    closed_positions = [content.index(f"ours-{i}") for i in (1, 3)]
    assert max(open_positions) < min(closed_positions)  # open ones first
    assert "enrollment.person.changed" not in content  # the history reads as sentences (core.timeline)
    assert all(f"{i} → {i + 1}" in content for i in range(4))
    assert employer.name in content
    assert reverse("enrollment:employer_detail", args=[employer.pk]) in content


def count_queries(client, url, **params) -> int:
    client.get(url, params)  # session, user and roles warm
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_the_person_page_runs_the_same_queries_for_5_or_50_of_everything(reviewer, clerk, client_for,
                                                                       django_assert_max_num_queries):
    few, many = make_person(3, "王五"), make_person(4, "赵六")
    add_history(few, clerk, 5)
    add_history(many, clerk, 50)
    client = client_for(reviewer)
    url = "enrollment:person_detail"
    assert count_queries(client, reverse(url, args=[few.pk])) == count_queries(client, reverse(url, args=[many.pk]))
    with django_assert_max_num_queries(14):
        client.get(reverse(url, args=[many.pk]))


def test_the_search_page_runs_the_same_queries_for_5_or_50_results(clerk, client_for,
                                                                  django_assert_max_num_queries):
    for n in range(5):
        make_person(100 + n, "钱" + "伟芳娜秀英"[n])
    for n in range(50):
        make_person(200 + n, "孙" + "伟芳娜秀英敏静丽强磊"[n % 10] + "明超"[n % 2])
    client = client_for(clerk)
    url = reverse("enrollment:person_search")
    assert count_queries(client, url, q="钱") == count_queries(client, url, q="孙")
    with django_assert_max_num_queries(8):
        client.get(url, {"q": "sw"})


# --- employers ---------------------------------------------------------------------------------------

def test_the_employer_page_shows_its_staff_masked_paginated_and_counted_by_status(clerk, client_for, employer):
    for n in range(60):
        make_person(300 + n, "周" + "伟芳娜秀英敏"[n % 6], insurance_type="EMP", employer_code=employer.uscc,
                    status="SUSPENDED" if n < 7 else "ACTIVE")
    make_person(400, "吴明")  # someone else's staff
    client = client_for(clerk)
    url = reverse("enrollment:employer_detail", args=[employer.pk])
    first = client.get(url)
    assert len(first.context["rows"]) == 50 and first.context["page_obj"].has_next()
    assert first.context["counts"] == {"total": 60, "ACTIVE": 53, "SUSPENDED": 7}
    second = client.get(url, {"page": 2})
    assert len(second.context["rows"]) == 10 and not second.context["page_obj"].has_next()
    shown = {r["pk"] for r in first.context["rows"]} | {r["pk"] for r in second.context["rows"]}
    assert len(shown) == 60
    content = first.content.decode() + second.content.decode()
    assert "吴明" not in content
    assert all("*" in r["id_number_masked"] for r in first.context["rows"])


def test_the_employer_page_runs_the_same_queries_for_5_or_50_staff(clerk, client_for):
    small, big = EmployerFactory(name="小公司"), EmployerFactory(name="大公司")
    for n in range(5):
        make_person(500 + n, "郑伟", insurance_type="EMP", employer_code=small.uscc)
    for n in range(50):
        make_person(600 + n, "郑芳", insurance_type="EMP", employer_code=big.uscc)
    client = client_for(clerk)
    url = "enrollment:employer_detail"
    assert count_queries(client, reverse(url, args=[small.pk])) == count_queries(client, reverse(url, args=[big.pk]))


def test_employers_are_found_by_any_part_of_the_code_or_name_and_filtered_by_status(clerk, client_for):
    huaxin = EmployerFactory(name="华信科技有限公司")
    closed = EmployerFactory(name="华信商贸有限公司", status=Employer.Status.CLOSED)
    other = EmployerFactory(name="长江物流有限公司")
    client = client_for(clerk)
    url = reverse("enrollment:employer_list")

    def names(**params):
        return [e.name for e in client.get(url, params).context["page_obj"]]

    assert sorted(names(q="华信")) == sorted([huaxin.name, closed.name])
    assert names(q="华信", status="ACTIVE") == [huaxin.name]
    assert names(q=other.uscc[:10].lower()) == [other.name]
    assert names(q=other.uscc) == [other.name]
    assert names(q=other.uscc[6:14]) == [other.name]
    assert names(q="信科") == [huaxin.name]
    assert names(q="科技商贸") == []


def test_the_employer_list_runs_the_same_queries_for_5_or_50_employers(clerk, client_for):
    client = client_for(clerk)
    url = reverse("enrollment:employer_list")
    for n in range(5):
        EmployerFactory(name=f"甲{n}公司")
    five = count_queries(client, url, q="甲")
    for n in range(50):
        EmployerFactory(name=f"乙{n}公司")
    assert count_queries(client, url, q="乙") == five


def test_the_search_box_is_labelled_and_reachable_with_the_slash_key(clerk, client_for):
    content = client_for(clerk).get(reverse("enrollment:person_search")).content.decode()
    assert 'data-search' in content
    assert '<label for="id_q"' in content
