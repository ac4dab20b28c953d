"""The application pages: who may see and do what, the queue (filters, overdue rows, flat query
count, CSV export), intake, the case page's actions and letters, masking."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from enrollment.models import Application, RosterUpload
from enrollment.services import applications as svc
from tests.enrollment.test_applications import add_persons, good_roster, new_id_numbers, roster_file, take_to
from tests.factories import PersonFactory

Status, Kind = Application.Status, Application.Kind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]





@pytest.fixture
def case(clerk, reviewer, employer):
    """An add-persons case waiting for the one-time notice, with a letter already issued elsewhere."""
    return take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)


def url(name, *args):
    return reverse(f"enrollment:{name}", args=args)


# -- the permission matrix -----------------------------------------------------------------------

READERS = {"clerk": 200, "reviewer": 200, "senior_reviewer": 200, "supervisor": 200, "admin": 200,
           "provider": 403, "settlement_auditor": 403}


@pytest.mark.parametrize("role,expected", READERS.items())
def test_who_may_read_the_queue_a_case_its_export_and_its_letters(role, expected, personas, client_for, case,
                                                                  clerk):
    letter = svc.issue_notice(actor=clerk, application=_with_missing(case, clerk))
    client = client_for(personas[role])
    for path in (url("application_list"), url("application_detail", case.pk), url("application_export"),
                 url("application_letter", case.pk, letter.pk)):
        response = client.get(path)
        assert response.status_code == expected, path
        if expected != 200:
            assert case.number.encode() not in b"".join(getattr(response, "streaming_content", [response.content]))


@pytest.mark.parametrize("role,expected", {"clerk": 200, "admin": 200, "reviewer": 403, "supervisor": 403,
                                           "provider": 403}.items())
def test_only_clerks_open_the_intake_form(role, expected, personas, client_for):
    assert client_for(personas[role]).get(url("application_create")).status_code == expected


def test_an_unknown_case_or_a_letter_of_another_case_is_not_found(client_for, clerk, case, employer, reviewer):
    other = take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    letter = svc.issue_notice(actor=clerk, application=_with_missing(other, clerk))
    client = client_for(clerk)
    assert client.get(url("application_detail", 999999)).status_code == 404
    assert client.get(url("application_letter", case.pk, letter.pk)).status_code == 404
    assert client.get(url("application_letter", other.pk, letter.pk)).status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "reviewer", "provider"])
def test_roles_without_the_move_cannot_make_it_through_the_page(role, personas, client_for, case):
    response = client_for(personas[role]).post(url("application_notice", case.pk), {"version": case.version})
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert response.status_code in (302, 403)


def _with_missing(app, clerk):
    svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("MISSING", "")})
    app.refresh_from_db()
    return app


# -- the queue -----------------------------------------------------------------------------------

def _cases(n, clerk, employer):
    return [svc.submit_application(actor=clerk, application=add_persons(clerk, employer)) for _ in range(n)]


def test_the_queue_query_count_does_not_grow_with_the_rows(client_for, clerk, employer,
                                                           django_assert_max_num_queries):
    client = client_for(clerk)
    _cases(5, clerk, employer)
    client.get(url("application_list"))  # warm the session
    with django_assert_max_num_queries(30) as five:
        assert client.get(url("application_list")).status_code == 200
    _cases(45, clerk, employer)
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(url("application_list") + "?queue=all")
    assert response.status_code == 200 and len(response.context["page_obj"]) == 25


def test_overdue_cases_stand_out_and_the_queues_filter(client_for, clerk, clerk2, employer):
    late, soon, mine_later = _cases(3, clerk, employer)
    today = timezone.localdate()
    Application.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=3))
    Application.objects.filter(pk=soon.pk).update(due_date=today)
    Application.objects.filter(pk=mine_later.pk).update(due_date=today + timedelta(days=30))
    theirs = svc.create_application(actor=clerk2, kind=Kind.ADD_PERSONS, applicant_name="李经办",
                                    employer_code=employer.uscc, effective_date=date(2026, 12, 1))
    client = client_for(clerk)
    html = client.get(url("application_list")).content.decode()
    assert f'<tr class="overdue">\n      <td><a href="{url("application_detail", late.pk)}">' in html
    assert f'<tr class="due-soon">\n      <td><a href="{url("application_detail", soon.pk)}">' in html

    def numbers(query):
        return [a.number for a in client.get(url("application_list") + query).context["page_obj"]]

    assert numbers("?queue=overdue") == [late.number]
    assert numbers("?queue=due_soon") == [soon.number]
    assert theirs.number not in numbers("?queue=mine") and late.number in numbers("?queue=mine")
    assert numbers("?status=DRAFT") == []  # a draft is not in hand (在办件) until it is submitted
    assert numbers("?queue=all&status=DRAFT") == [theirs.number]
    assert numbers("?queue=drafts") == []  # the clerk's own drafts: none (that one is clerk2's)
    assert numbers(f"?q={late.number}") == [late.number]
    assert numbers("?kind=TRANSFER_IN") == []
    assert numbers("?queue=open")[0] == late.number  # earliest due first


def test_the_csv_export_follows_the_filters_and_masks_identity_numbers(client_for, clerk, staff_person):
    app = svc.create_application(actor=clerk, kind=Kind.TRANSFER_OUT, applicant_name=staff_person.name,
                                 person_id_number=staff_person.id_number, effective_date=date(2026, 12, 31),
                                 payload={"to_region": "上海市"})
    response = client_for(clerk).get(url("application_export") + "?queue=all")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 2 and rows[1][0] == app.number
    assert staff_person.id_number not in body
    assert staff_person.id_number[:4] + "**********" + staff_person.id_number[-4:] in body


@pytest.fixture
def staff_person(employer):
    return PersonFactory(insurance_type="EMP", employer_code=employer.uscc)


# -- intake and the case page --------------------------------------------------------------------

def test_intake_through_the_form_shows_errors_beside_the_fields_then_creates(client_for, clerk, employer):
    client = client_for(clerk)
    assert b"?kind=ADD_PERSONS" in client.get(url("application_create")).content
    bad = client.post(url("application_create"), {"kind": "ADD_PERSONS", "applicant_name": "张经办",
                                                   "employer_code": "91320106ABCDEFGH12",
                                                   "effective_date": "2026-12-01"})
    assert bad.status_code == 200
    assert bad.context["form"].errors["employer_code"]
    good = client.post(url("application_create"), {
        "kind": "ADD_PERSONS", "applicant_name": "张经办", "employer_code": employer.uscc,
        "effective_date": "2026-12-01", "provided": ["staff_roster", "id_copies"]})
    app = Application.objects.get()
    assert good.status_code == 302 and good["Location"] == url("application_detail", app.pk)
    assert dict(app.materials.values_list("code", "state"))["labour_contracts"] == "MISSING"


def test_the_case_page_offers_only_the_moves_the_user_may_make(client_for, clerk, reviewer, case):
    clerk_page = client_for(clerk).get(url("application_detail", case.pk)).content.decode()
    reviewer_page = client_for(reviewer).get(url("application_detail", case.pk)).content.decode()
    assert url("application_review", case.pk) in clerk_page
    assert url("application_notice", case.pk) not in clerk_page  # nothing is missing: no notice to issue
    assert url("application_notice", case.pk) not in reviewer_page
    assert url("application_review", case.pk) in reviewer_page
    assert url("application_approve", case.pk) not in reviewer_page  # not under review yet
    assert 'name="state_labour_contracts"' in clerk_page and 'name="state_labour_contracts"' not in reviewer_page


def test_the_creator_sees_why_they_cannot_decide(client_for, make_user, reviewer, employer):
    both = make_user("dual_role", Role.CLERK, Role.REVIEWER)
    app = take_to(add_persons(both, employer), Status.UNDER_REVIEW, clerk=both, reviewer=reviewer)
    page = client_for(both).get(url("application_detail", app.pk)).content.decode()
    assert url("application_approve", app.pk) not in page and "segregation of duties" in page
    response = client_for(both).post(url("application_approve", app.pk), {"version": app.version}, follow=True)
    assert "segregation of duties" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW
    assert url("application_approve", app.pk) in client_for(reviewer).get(url("application_detail", app.pk)).content.decode()


def test_the_whole_case_through_the_pages(client_for, clerk, reviewer, case):
    c, r = client_for(clerk), client_for(reviewer)
    form = {"version": case.version, **{f"state_{m.code}": "PROVIDED" for m in case.materials.all()}}
    form["state_id_copies"], form["note_id_copies"] = "INVALID", "复印件不清晰"
    assert c.post(url("application_materials", case.pk), form).status_code == 302
    case.refresh_from_db()
    c.post(url("application_notice", case.pk), {"version": case.version})
    case.refresh_from_db()
    assert case.status == Status.INCOMPLETE
    letter_url = url("application_letter", case.pk, case_letter(case).pk)
    assert letter_url in c.get(url("application_detail", case.pk)).content.decode()
    pdf = c.get(letter_url)
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    form.update(version=case.version, state_id_copies="PROVIDED", note_id_copies="")
    c.post(url("application_materials", case.pk), form)
    case.refresh_from_db()
    for client, action in ((c, "resubmit"), (r, "review")):
        client.post(url(f"application_{action}", case.pk), {"version": case.version})
        case.refresh_from_db()
    r.post(url("application_reject", case.pk), {"version": case.version, "reasons": ["other"], "note": ""})
    case.refresh_from_db()
    assert case.status == Status.UNDER_REVIEW  # "other" needs an explanation
    asked = r.post(url("application_approve", case.pk), {"version": case.version, "note": "同意"})
    assert asked.status_code == 200 and 'name="confirmed" value="1"' in asked.content.decode()
    case.refresh_from_db()
    assert case.status == Status.UNDER_REVIEW  # nothing happens before the confirmation
    r.post(url("application_approve", case.pk), {"version": case.version, "note": "同意", "confirmed": "1"})
    case.refresh_from_db()
    assert case.status == Status.REGISTERED  # approved and applied to the register in one step
    page = c.get(url("application_detail", case.pk)).content.decode()
    for said in ("as a draft", "submitted the case", "issued the one-time notice", "the missing materials were brought",
                 "approved the case", "applied the case to the register"):
        assert said in page


def case_letter(app):
    from enrollment.selectors.applications import application_letters

    return application_letters(app).last()


def test_a_stale_page_is_refused_with_a_message(client_for, clerk, case):
    stale = case.version
    svc.tick_materials(actor=clerk, application=case, states={"id_copies": ("MISSING", "")})
    response = client_for(clerk).post(url("application_notice", case.pk), {"version": stale}, follow=True)
    assert "Someone else changed this record" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_roster_with_errors_shows_them_all_and_identity_numbers_are_masked(client_for, clerk, employer):
    app = add_persons(clerk, employer)
    number = new_id_numbers(1)[0]
    page = client_for(clerk).post(url("application_roster", app.pk), {
        "version": app.version, "file": roster_file([(number, "张三", ""), ("123", "4567", "")])}, follow=True)
    html = page.content.decode()
    assert 'id="roster-errors"' in html and "A name cannot contain digits." in html
    assert RosterUpload.objects.get().is_valid is False
    app.refresh_from_db()
    page = client_for(clerk).post(url("application_roster", app.pk), {"version": app.version,
                                                                      "file": good_roster(2)}, follow=True)
    html = page.content.decode()
    assert 'id="roster-entries"' in html
    for entry in RosterUpload.objects.get(is_current=True).entries.all():
        assert entry.id_number not in html and entry.masked_id_number in html


def test_a_60_mb_staff_list_is_refused_with_a_message_and_nothing_kept(client_for, clerk, employer):
    app = add_persons(clerk, employer)
    big = SimpleUploadedFile("big.csv", b"0" * (60 * 1024 * 1024), content_type="text/csv")
    response = client_for(clerk).post(url("application_roster", app.pk), {"version": app.version, "file": big},
                                      follow=True)
    assert "the limit is 50 MB" in response.content.decode()
    assert RosterUpload.objects.count() == 0


def svc_upload(clerk, app):
    from enrollment.services.roster import upload_roster

    return upload_roster(actor=clerk, application=app, file=good_roster(2))
