"""The applications API: the same workflow and checks as the pages, errors as {code, message}."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.roles import Role
from enrollment.models import Application, Person
from tests.enrollment.test_applications import add_persons, new_id_numbers, roster_bytes, take_to

Status, Kind = Application.Status, Application.Kind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]
BASE = "/api/v1/enrollment/applications/"





def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("role,expected", {"clerk": 200, "reviewer": 200, "supervisor": 200, "provider": 403,
                                           "settlement_auditor": 403}.items())
def test_who_may_read_applications(role, expected, personas, clerk, employer):
    app = add_persons(clerk, employer)
    client = api(personas[role])
    listing, detail = client.get(BASE + "?queue=all"), client.get(f"{BASE}{app.pk}/")
    assert (listing.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert listing.json()["results"][0]["number"] == app.number
        assert [m["code"] for m in detail.json()["materials"]] == ["staff_roster", "id_copies", "labour_contracts"]
    else:
        assert listing.json()["code"] == "permission_denied" and app.number not in detail.content.decode()


def test_an_unknown_application_is_404(clerk):
    response = api(clerk).get(f"{BASE}424242/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_create_reports_every_error_at_once(clerk):
    response = api(clerk).post(BASE, {"kind": "REMOVE_PERSONS", "applicant_name": "张经办",
                                      "payload": {"id_numbers": ["bad"]}}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {e["column"] for e in body["errors"]} == {"employer_code", "effective_date", "id_numbers"}
    assert Application.objects.count() == 0


def test_a_reviewer_cannot_take_in_an_application(reviewer, employer):
    response = api(reviewer).post(BASE, {"kind": "ADD_PERSONS", "applicant_name": "张经办",
                                         "employer_code": employer.uscc, "effective_date": "2026-12-01"},
                                  format="json")
    assert response.status_code == 403


def test_the_whole_workflow_through_the_api(clerk, reviewer, employer):
    c, r = api(clerk), api(reviewer)
    created = c.post(BASE, {"kind": "ADD_PERSONS", "applicant_name": "张经办", "employer_code": employer.uscc,
                            "effective_date": "2026-12-01", "provided": ["staff_roster", "id_copies"]}, format="json")
    assert created.status_code == 201, created.json()
    app = created.json()
    pk = app["id"]
    numbers = new_id_numbers(2)
    file = SimpleUploadedFile("名单.csv", roster_bytes([(numbers[0], "张三", ""), (numbers[1], "李四", "")],
                                                       encoding="gb18030"))
    uploaded = c.post(f"{BASE}{pk}/roster/", {"file": file, "version": app["version"]}, format="multipart")
    assert uploaded.status_code == 201 and uploaded.json()["row_count"] == 2
    step = c.post(f"{BASE}{pk}/submit/", {}, format="json")
    assert step.json()["status"] == "SUBMITTED" and step.json()["due_date"]
    step = c.post(f"{BASE}{pk}/notice/", {"version": step.json()["version"]}, format="json")
    assert step.json()["status"] == "INCOMPLETE"
    letter = step.json()["letters"][0]
    pdf = c.get(f"{BASE}{pk}/letters/{letter['id']}/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    c.post(f"{BASE}{pk}/materials/", {"materials": [{"code": "labour_contracts", "state": "PROVIDED"}]},
           format="json")
    c.post(f"{BASE}{pk}/resubmit/", {}, format="json")
    assert r.post(f"{BASE}{pk}/review/", {}, format="json").json()["status"] == "UNDER_REVIEW"
    approved = r.post(f"{BASE}{pk}/approve/", {"note": "同意"}, format="json")
    assert approved.json()["status"] == "REGISTERED" and len(approved.json()["letters"]) == 2  # one step
    assert Person.objects.filter(id_number__in=numbers, employer_code=employer.uscc).count() == 2


def test_segregation_invalid_moves_and_stale_versions_come_back_as_codes(make_user, reviewer, employer, clerk):
    both = make_user("dual_role", Role.CLERK, Role.REVIEWER)
    app = take_to(add_persons(both, employer), Status.UNDER_REVIEW, clerk=both, reviewer=reviewer)
    refused = api(both).post(f"{BASE}{app.pk}/approve/", {}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "segregation_of_duties"
    assert "segregation of duties" in refused.json()["message"]
    invalid = api(clerk).post(f"{BASE}{app.pk}/submit/", {}, format="json")
    assert invalid.status_code == 409 and invalid.json()["code"] == "invalid_transition"
    stale = api(reviewer).post(f"{BASE}{app.pk}/reject/", {"reasons": ["not_eligible"], "version": 1},
                               format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "concurrent_edit"
    unknown_reason = api(reviewer).post(f"{BASE}{app.pk}/reject/", {"reasons": ["because"]}, format="json")
    assert unknown_reason.status_code == 400 and unknown_reason.json()["errors"][0]["column"] == "reasons.0"
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW


def test_an_invalid_roster_comes_back_with_every_error_and_is_kept(clerk, employer):
    app = add_persons(clerk, employer)
    file = SimpleUploadedFile("x.csv", roster_bytes([("110105194912310021", "张三", ""), ("", "9", "")]))
    response = api(clerk).post(f"{BASE}{app.pk}/roster/", {"file": file}, format="multipart")
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid_roster"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "身份证号"), (3, "姓名"), (3, "身份证号")]
    assert app.roster_uploads.get(pk=body["upload"]).sha256


def test_the_list_masks_identity_numbers(clerk, employer):
    from enrollment.services.applications import create_application
    from tests.factories import PersonFactory

    person = PersonFactory(insurance_type="EMP", employer_code=employer.uscc)
    create_application(actor=clerk, kind=Kind.REMOVE_PERSONS, applicant_name="张经办", employer_code=employer.uscc,
                       effective_date=date(2026, 12, 31), payload={"id_numbers": [person.id_number]})
    body = api(clerk).get(BASE, {"queue": "drafts"}).content.decode()
    assert '"count":1' in body
    assert person.id_number not in body and person.id_number[-4:] in body


def test_the_api_query_count_is_flat(clerk, employer, django_assert_max_num_queries):
    client = api(clerk)
    for _ in range(3):
        add_persons(clerk, employer)
    with django_assert_max_num_queries(20) as few:
        client.get(BASE, {"queue": "all"})
    for _ in range(30):
        add_persons(clerk, employer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(BASE, {"queue": "all"}).json()["results"]) == 33
