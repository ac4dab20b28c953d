"""Intake with what is known: the employer picked from a list by any part of its name (and found by
the form itself without JavaScript), and 增员, 减员 and 信息变更 started from a person's or an
employer's page with the employer, the applicant and the persons filled in, numbers never shown."""

from datetime import date

import pytest
from django.urls import reverse

from core.masking import mask_id_number
from enrollment.forms.applications import ApplicationForm
from enrollment.models import Application
from tests.factories import EmployerFactory, PersonFactory

Kind = Application.Kind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


def url(name, *args):
    return reverse(f"enrollment:{name}", args=args)


@pytest.fixture
def taihe():
    return EmployerFactory(name="示范市泰和东方科技有限公司", contact_name="赵经办", contact_phone="025-84001234")


@pytest.fixture
def others():
    return [EmployerFactory(name=name) for name in ("示范市东方泰和商贸有限公司", "示范市华信科技有限公司")]


# -- the picker's list ----------------------------------------------------------------------------------

def test_the_picker_lists_employers_by_any_part_of_the_name(client_for, clerk, taihe, others):
    response = client_for(clerk).get(url("employer_pick"), {"q": "泰和东方"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-value="{taihe.uscc}"' in html and taihe.name in html
    assert others[0].uscc not in html and others[1].uscc not in html
    assert html.count('role="option"') == 1


def test_the_picker_lists_employers_by_a_part_of_the_code(client_for, clerk, taihe, others):
    html = client_for(clerk).get(url("employer_pick"), {"q": taihe.uscc[6:12].lower()}).content.decode()
    assert f'data-value="{taihe.uscc}"' in html


def test_the_picker_says_when_nothing_or_too_much_matches(client_for, clerk, taihe, others, monkeypatch):
    from enrollment.views import register

    client = client_for(clerk)
    assert "No employer" in client.get(url("employer_pick"), {"q": "长江"}).content.decode()
    assert client.get(url("employer_pick"), {"q": "  "}).content == b""
    monkeypatch.setattr(register, "OFFERED", 2)
    html = client.get(url("employer_pick"), {"q": "有限公司"}).content.decode()
    assert html.count("data-value=") == 2 and "More employers match" in html


@pytest.mark.parametrize("role, status", [("clerk", 200), ("reviewer", 200), ("provider", 403),
                                          ("settlement_auditor", 403)])
def test_only_enrollment_staff_may_list_employers(personas, client_for, taihe, role, status):
    response = client_for(personas[role]).get(url("employer_pick"), {"q": "泰和"})
    assert response.status_code == status
    assert (taihe.uscc in response.content.decode()) == (status == 200)


def test_the_picker_is_one_query_for_the_list(client_for, clerk, taihe, others):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(clerk)
    client.get(url("employer_pick"), {"q": "泰"})
    with CaptureQueriesContext(connection) as queries:
        client.get(url("employer_pick"), {"q": "有限"})
    assert len([q for q in queries.captured_queries if "enrollment_employer" in q["sql"]]) == 1


# -- the intake form's employer field -----------------------------------------------------------------

def intake(client, **fields):
    data = {"kind": Kind.ADD_PERSONS, "applicant_name": "张经办", "effective_date": "2026-12-01", **fields}
    return client.post(url("application_create"), data)


def test_the_intake_form_renders_the_picker_as_a_combobox(client_for, clerk):
    html = client_for(clerk).get(url("application_create"), {"kind": Kind.ADD_PERSONS}).content.decode()
    assert 'data-employer-picker' in html and 'aria-controls="id_employer_code-list"' in html
    assert f'data-search-url="{url("employer_pick")}"' in html
    assert 'role="listbox"' in html


def test_a_picked_code_is_taken(client_for, clerk, taihe):
    response = intake(client_for(clerk), employer_code=taihe.uscc)
    assert response.status_code == 302
    assert Application.objects.get().employer == taihe


def test_without_javascript_a_part_of_the_name_that_names_one_employer_is_taken(client_for, clerk, taihe, others):
    response = intake(client_for(clerk), employer_code="泰和东方")
    assert response.status_code == 302
    assert Application.objects.get().employer == taihe


def test_without_javascript_several_matches_are_offered_and_one_is_chosen(client_for, clerk, taihe, others):
    client = client_for(clerk)
    response = intake(client, employer_code="泰和")
    assert response.status_code == 200 and not Application.objects.exists()
    html = response.content.decode()
    assert "Several employers match" in html
    assert f'name="employer_code_choice" value="{taihe.uscc}"' in html
    assert f'name="employer_code_choice" value="{others[0].uscc}"' in html
    assert others[1].uscc not in html
    response = intake(client, employer_code="泰和", employer_code_choice=others[0].uscc)
    assert response.status_code == 302
    assert Application.objects.get().employer == others[0]


def test_without_javascript_no_match_is_an_error_beside_the_field(client_for, clerk, taihe):
    response = intake(client_for(clerk), employer_code="长江物流")
    assert response.status_code == 200
    assert "No employer" in str(response.context["form"].errors["employer_code"])


def test_a_returned_form_shows_the_picked_employers_name(client_for, clerk, taihe):
    response = intake(client_for(clerk), employer_code=taihe.uscc, effective_date="")
    assert response.status_code == 200
    assert f'id="id_employer_code-picked" aria-live="polite">{taihe.name}</span>' in response.content.decode()


# -- started from the register's pages --------------------------------------------------------------

@pytest.fixture
def staff(taihe):
    return [PersonFactory(name=name, employer_code=taihe.uscc, insurance_type="EMP", phone="13800138000")
            for name in ("王芳", "李四", "张三")]


def page_links(client, name, pk) -> dict:
    response = client.get(url(name, pk))
    return {link["kind"]: link["url"] for link in response.context["start_links"]}


def test_a_persons_page_offers_add_remove_and_change_to_clerks_only(client_for, clerk, reviewer, staff, taihe):
    links = page_links(client_for(clerk), "person_detail", staff[0].pk)
    assert set(links) == {Kind.ADD_PERSONS, Kind.REMOVE_PERSONS, Kind.CHANGE_INFO}
    assert f"person={staff[0].pk}" in links[Kind.REMOVE_PERSONS] and f"employer={taihe.pk}" in links[Kind.REMOVE_PERSONS]
    assert f"person={staff[0].pk}" in links[Kind.CHANGE_INFO]
    assert "person=" not in links[Kind.ADD_PERSONS] and f"employer={taihe.pk}" in links[Kind.ADD_PERSONS]
    assert page_links(client_for(reviewer), "person_detail", staff[0].pk) == {}


def test_an_employers_page_offers_add_and_remove(client_for, clerk, staff, taihe):
    client = client_for(clerk)
    links = page_links(client, "employer_detail", taihe.pk)
    assert set(links) == {Kind.ADD_PERSONS, Kind.REMOVE_PERSONS}
    html = client.get(url("employer_detail", taihe.pk)).content.decode()
    assert f'name="person" value="{staff[0].pk}"' in html  # staff can be ticked for 减员
    assert f'name="kind" value="{Kind.REMOVE_PERSONS}"' in html


def test_change_of_information_from_a_persons_page_is_filled_in_without_the_full_number(client_for, clerk, staff):
    wang = staff[0]
    client = client_for(clerk)
    links = page_links(client, "person_detail", wang.pk)
    response = client.get(links[Kind.CHANGE_INFO])
    html = response.content.decode()
    form = response.context["form"]
    assert wang.id_number not in html  # the clerk may not see the full number
    assert mask_id_number(wang.id_number) in html and wang.name in html
    assert form["applicant_name"].value() == wang.name and form["applicant_phone"].value() == wang.phone
    assert f'name="person" value="{wang.pk}"' in html
    response = client.post(url("application_create"), {
        "kind": Kind.CHANGE_INFO, "person": wang.pk, "applicant_name": wang.name, "new_phone": "13900139000"})
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.person == wang and app.payload["changes"] == {"phone": "13900139000"}


def test_remove_persons_from_an_employers_ticked_staff(client_for, clerk, staff, taihe):
    client = client_for(clerk)
    start = client.get(url("application_create"), {"kind": Kind.REMOVE_PERSONS, "employer": taihe.pk,
                                                    "person": [staff[0].pk, staff[1].pk]})
    html = start.content.decode()
    form = start.context["form"]
    assert form["employer_code"].value() == taihe.uscc
    assert form["applicant_name"].value() == "赵经办" and form["applicant_phone"].value() == "025-84001234"
    assert all(p.id_number not in html for p in staff)
    assert staff[0].name in html and staff[1].name in html and staff[2].name not in html
    response = client.post(url("application_create"), {
        "kind": Kind.REMOVE_PERSONS, "person": [staff[0].pk, staff[1].pk], "employer_code": taihe.uscc,
        "applicant_name": "赵经办", "effective_date": "2026-12-31", "id_numbers": staff[2].id_number})
    assert response.status_code == 302
    app = Application.objects.get()
    assert app.employer == taihe and app.effective_date == date(2026, 12, 31)
    assert sorted(app.payload["id_numbers"]) == sorted(p.id_number for p in staff)


def test_an_error_on_a_listed_person_names_the_person_not_a_line(client_for, clerk, staff, taihe):
    stranger = PersonFactory(name="赵六", employer_code="")
    response = client_for(clerk).post(url("application_create"), {
        "kind": Kind.REMOVE_PERSONS, "person": [staff[0].pk, stranger.pk], "employer_code": taihe.uscc,
        "applicant_name": "赵经办", "effective_date": "2026-12-31"})
    assert response.status_code == 200 and not Application.objects.exists()
    errors = " ".join(response.context["form"].errors["id_numbers"])
    assert f"赵六 {mask_id_number(stranger.id_number)}" in errors and "Line" not in errors
    assert stranger.id_number not in response.content.decode()


def test_add_persons_from_a_persons_page_fills_in_the_employer(client_for, clerk, staff, taihe):
    client = client_for(clerk)
    start = client.get(page_links(client, "person_detail", staff[0].pk)[Kind.ADD_PERSONS])
    assert start.context["form"]["employer_code"].value() == taihe.uscc
    assert f'id="id_employer_code-picked" aria-live="polite">{taihe.name}</span>' in start.content.decode()


def test_persons_that_do_not_exist_or_are_not_numbers_are_ignored(staff):
    form = ApplicationForm(kind=Kind.REMOVE_PERSONS, query=_query(person=["x", "999999", str(staff[1].pk)]))
    assert [p.pk for p in form.persons] == [staff[1].pk]


def test_a_kind_for_one_person_takes_the_first_only(staff):
    form = ApplicationForm(kind=Kind.CHANGE_INFO, query=_query(person=[str(staff[0].pk), str(staff[1].pk)]))
    assert [p.pk for p in form.persons] == [staff[0].pk]
    assert form.fields["person_id_number"].widget.is_hidden


def test_the_kind_choice_keeps_what_is_known(client_for, clerk, staff, taihe):
    html = client_for(clerk).get(url("application_create"), {"employer": taihe.pk}).content.decode()
    assert f"?employer={taihe.pk}&amp;kind={Kind.REMOVE_PERSONS}" in html


def _query(**lists):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for key, values in lists.items():
        q.setlist(key, values)
    return q
