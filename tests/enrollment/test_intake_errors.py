"""The intake form names every mistake on the first try: the form's own (no applicant, an employer named
by a part of several names) and the service's checks of the rest (a telephone number that is none),
together, so that the clerk does not find them in rounds."""

import pytest
from django.urls import reverse

from enrollment.models import Application
from tests.factories import EmployerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


@pytest.fixture
def kaida():
    return [EmployerFactory(name=name) for name in ("示范市凯达科技有限公司", "示范市凯达物流有限公司")]


def intake(client, **fields):
    data = {"kind": "ADD_PERSONS", "applicant_name": "张经办", "applicant_phone": "", "employer_code": "",
            "effective_date": "2026-12-01", **fields}
    return client.post(reverse("enrollment:application_create"), data)


def test_every_error_shows_on_the_first_try(client_for, clerk, kaida):
    response = intake(client_for(clerk), applicant_name="", employer_code="凯达", applicant_phone="12345")
    assert response.status_code == 200 and not Application.objects.exists()
    errors = response.context["form"].errors
    assert set(errors) == {"applicant_name", "employer_code", "applicant_phone"}, errors
    assert "Several employers match" in errors["employer_code"][0]
    assert "mobile number" in errors["applicant_phone"][0]
    assert len(errors["applicant_name"]) == 1  # the form's own word, not the service's again


def test_a_field_the_form_flagged_is_not_flagged_twice_and_a_correct_form_is_taken(client_for, clerk, kaida):
    client = client_for(clerk)
    response = intake(client, employer_code="凯达物流", applicant_phone="12345", effective_date="")
    errors = response.context["form"].errors
    assert set(errors) == {"applicant_phone", "effective_date"} and len(errors["effective_date"]) == 1
    response = intake(client, employer_code="凯达物流", applicant_phone="13800138000")
    assert response.status_code == 302 and Application.objects.get().employer == kaida[1]
