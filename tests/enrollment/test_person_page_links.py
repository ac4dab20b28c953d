"""A person's page offers only the applications that apply to the person (增员 and 减员 need an
employer: a resident's insurance has none), and links to the person's benefits page, which links back
for those who may open the register."""

import re

import pytest
from django.urls import reverse

from enrollment.models import Application
from tests.factories import EmployerFactory, PersonFactory

pytestmark = pytest.mark.django_db
Kind = Application.Kind
ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]


def offered(client, person) -> set[str]:
    html = client.get(reverse("enrollment:person_detail", args=[person.pk])).content.decode()
    return set(re.findall(r'data-kind="(\w+)"', html))


def test_a_resident_without_an_employer_is_offered_no_employer_application(clerk, client_for):
    resident = PersonFactory(insurance_type="RES", employer_code="")
    assert offered(client_for(clerk), resident) == {Kind.CHANGE_INFO}


def test_a_member_of_staff_is_offered_what_concerns_the_employer(clerk, client_for):
    employer = EmployerFactory()
    staff = PersonFactory(insurance_type="EMP", employer_code=employer.uscc)
    assert {Kind.ADD_PERSONS, Kind.REMOVE_PERSONS, Kind.CHANGE_INFO} <= offered(client_for(clerk), staff)


def test_the_person_page_and_the_benefits_page_link_to_each_other(clerk, client_for):
    person = PersonFactory(insurance_type="RES", employer_code="")
    client = client_for(clerk)
    register = reverse("enrollment:person_detail", args=[person.pk])
    benefits = reverse("eligibility:person_detail", args=[person.pk])
    assert f'href="{benefits}"' in client.get(register).content.decode()
    assert f'href="{register}"' in client.get(benefits).content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_each_link_is_shown_only_to_those_who_may_follow_it(personas, client_for, role):
    person = PersonFactory()
    client = client_for(personas[role])
    register = reverse("enrollment:person_detail", args=[person.pk])
    benefits = reverse("eligibility:person_detail", args=[person.pk])
    on_register, on_benefits = client.get(register), client.get(benefits)
    if on_register.status_code == 200:  # who opens the register opens the benefits page too
        assert f'href="{benefits}"' in on_register.content.decode()
        assert client.get(benefits).status_code == 200
    if on_benefits.status_code == 200:
        assert (f'href="{register}"' in on_benefits.content.decode()) == (on_register.status_code == 200)
    assert (on_register.status_code, on_benefits.status_code) == {
        "settlement_auditor": (403, 200), "provider": (403, 403)}.get(role, (200, 200))
