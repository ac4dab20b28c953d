"""Issue 14, items 1 and 5: guarded steps (no resubmission or review with a material missing, the
primary button is the step possible now, irreversible steps confirmed, approval registers) and work
lists that can be worked (search across tabs, 已办结, tab counts, 待我审核 / 待我复核, home panels)."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ValidationFailed
from core.models import AuditEntry, LetterRecord
from core.roles import Role
from enrollment.models import Application, Discrepancy, Person
from enrollment.selectors.applications import next_steps, queue_conditions, queue_counts
from enrollment.services import applications as svc
from enrollment.services.roster import upload_roster
from tests.enrollment.test_applications import (
    add_persons,
    approved_before_one_step,
    new_id_numbers,
    roster_file,
)
from tests.enrollment.test_applications import take_to as take_to_with_the_same_roster

Status, Kind = Application.Status, Application.Kind
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


BIRTHS = iter(date(1970, 1, 1) + timedelta(days=n) for n in range(10_000))


def take_to(app, target, *, clerk, reviewer):
    """As tests.enrollment.test_applications.take_to, with a staff list of its own: several open
    add-persons cases may not list the same persons."""
    if target != Status.DRAFT:
        numbers = new_id_numbers(3, birth=next(BIRTHS))
        upload_roster(actor=clerk, application=app, file=roster_file([(n, "员工", "") for n in numbers]))
    return take_to_with_the_same_roster(app, target, clerk=clerk, reviewer=reviewer, roster=False)


def url(name, *args):
    return reverse(f"enrollment:{name}", args=args)


def incomplete(clerk, reviewer, employer, code="labour_contracts"):
    """An add-persons case that got the one-time notice for `code` (劳动合同 by default)."""
    app = take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    svc.tick_materials(actor=clerk, application=app, states={code: ("MISSING", "")})
    svc.issue_notice(actor=clerk, application=app)
    app.refresh_from_db()
    return app


def actions(app) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="enrollment.application", object_id=str(app.pk))
                .order_by("seq").values_list("action", flat=True))


# -- item 1: the guards in the services ----------------------------------------------------------

@pytest.mark.parametrize("state", ["MISSING", "INVALID"])
def test_a_resubmission_is_refused_while_a_material_is_missing_and_the_clock_does_not_restart(
        state, clerk, reviewer, employer):
    app = incomplete(clerk, reviewer, employer)
    if state == "INVALID":
        svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("INVALID", "未盖章")})
        app.refresh_from_db()
    before = (app.status, app.due_date, app.resubmitted_at, app.version)
    with pytest.raises(ValidationFailed) as refused:
        svc.resubmit_application(actor=clerk, application=app, expected_version=app.version)
    assert refused.value.code == "materials_incomplete"
    assert "Labour contracts" in str(refused.value.message)  # names the item
    assert "Identity card copies" not in str(refused.value.message)  # and only what is missing
    app.refresh_from_db()
    assert (app.status, app.due_date, app.resubmitted_at, app.version) == before == (
        Status.INCOMPLETE, None, None, before[3])
    assert "enrollment.application.resubmitted" not in actions(app)

    svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("PROVIDED", "")})
    svc.resubmit_application(actor=clerk, application=app)
    assert app.status == Status.RESUBMITTED and app.due_date is not None


def test_the_review_is_refused_while_a_material_is_missing_naming_it(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    svc.tick_materials(actor=clerk, application=app, states={"id_copies": ("MISSING", "")})
    with pytest.raises(ValidationFailed) as refused:
        svc.start_review(actor=reviewer, application=app)
    assert refused.value.code == "materials_incomplete" and "Identity card copies" in str(refused.value.message)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_approval_applies_the_change_to_the_register_in_the_same_step(clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    numbers = list(app.roster_uploads.get(is_current=True).entries.values_list("id_number", flat=True))
    letter = svc.approve_application(actor=reviewer, application=app, note="同意")
    app.refresh_from_db()
    assert app.status == Status.REGISTERED and app.decided_by == reviewer and app.registered_at is not None
    assert Person.objects.filter(id_number__in=numbers, employer_code=employer.uscc).count() == len(numbers) == 3
    assert letter.kind == "enrollment.approval"
    assert actions(app)[-2:] == ["enrollment.application.approved", "enrollment.application.registered"]


def test_an_approval_the_register_no_longer_allows_changes_nothing(clerk, reviewer, employer):
    from tests.factories import PersonFactory

    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    entries = list(app.roster_uploads.get(is_current=True).entries.all())
    PersonFactory(id_number=entries[0].id_number)  # registered elsewhere meanwhile
    with pytest.raises(ValidationFailed):
        svc.approve_application(actor=reviewer, application=app)
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW and app.decided_by is None
    assert not Person.objects.filter(id_number=entries[1].id_number).exists()
    assert not LetterRecord.objects.filter(kind="enrollment.approval").exists()


# -- item 1: the next step, one selector ---------------------------------------------------------

def _steps(app, user):
    app.refresh_from_db()
    return next_steps(app, user, list(app.materials.all()))


def test_the_next_step_follows_the_state_the_materials_and_the_role(make_user, clerk, reviewer, senior, employer):
    app = svc.create_application(actor=clerk, kind=Kind.ADD_PERSONS, applicant_name="张经办",
                                 employer_code=employer.uscc, effective_date=date(2026, 12, 1))  # all unchecked
    assert _steps(app, clerk).primary == "submit"
    assert _steps(app, reviewer).primary == "" and _steps(app, reviewer).waiting

    svc.submit_application(actor=clerk, application=app)
    unchecked = _steps(app, clerk)
    assert unchecked.primary == "materials" and "Labour contracts" in unchecked.waiting

    svc.tick_materials(actor=clerk, application=app, states={
        "staff_roster": ("PROVIDED", ""), "id_copies": ("PROVIDED", ""), "labour_contracts": ("MISSING", "")})
    assert _steps(app, clerk).primary == "notice"
    assert _steps(app, reviewer).primary == "" and "Labour contracts" in _steps(app, reviewer).waiting

    svc.issue_notice(actor=clerk, application=app)
    waiting = _steps(app, clerk)
    assert waiting.primary == "materials" and "Labour contracts" in waiting.waiting  # no resubmit on offer
    assert "resubmit" not in [s.action for s in waiting.steps]

    svc.tick_materials(actor=clerk, application=app, states={"labour_contracts": ("PROVIDED", "")})
    assert _steps(app, clerk).primary == "resubmit"
    svc.resubmit_application(actor=clerk, application=app)
    no_roster = _steps(app, clerk)  # every material in, but the staff list is not uploaded
    assert no_roster.primary == "roster" and no_roster.waiting
    assert _steps(app, reviewer).primary == ""


def test_the_next_step_of_a_complete_case_is_the_review_then_the_decision(make_user, clerk, reviewer, senior,
                                                                          employer):
    app = take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer)
    assert _steps(app, clerk).primary == "review"  # nothing missing: not the notice
    assert "notice" not in [s.action for s in _steps(app, clerk).steps]
    assert _steps(app, reviewer).primary == "review"
    svc.start_review(actor=reviewer, application=app)
    decision = _steps(app, senior)
    assert [s.action for s in decision.steps] == ["approve", "reject"] and decision.decide
    assert all(s.confirm for s in decision.steps)
    assert _steps(app, clerk).steps == () and _steps(app, clerk).waiting
    both = make_user("dual", Role.CLERK, Role.REVIEWER)
    own = take_to(add_persons(both, employer), Status.UNDER_REVIEW, clerk=both, reviewer=reviewer)
    assert _steps(own, both).steps == () and "segregation of duties" in _steps(own, both).waiting
    approved = approved_before_one_step(take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk,
                                                reviewer=reviewer), reviewer)
    assert _steps(approved, clerk).primary == "register" and _steps(approved, clerk).steps[0].confirm
    svc.approve_application(actor=reviewer, application=app)
    assert _steps(app, clerk).steps == () and _steps(app, reviewer).steps == ()


def _primary_buttons(html: str) -> list[str]:
    """The data-step of every button styled primary on a page."""
    return re.findall(r'<button type="submit" class="primary"[^>]*?(?:data-step="([^"]+)")?>', html)


@pytest.mark.parametrize("state,user,primary", [
    (Status.SUBMITTED, "clerk", "review"),
    (Status.INCOMPLETE, "clerk", None),  # the checklist's save button (it has no data-step)
    (Status.RESUBMITTED, "reviewer", "review"),
    (Status.UNDER_REVIEW, "reviewer", "approve"),
])
def test_the_case_page_has_one_primary_button_the_step_possible_now(state, user, primary, client_for, clerk, reviewer,
                                                                     employer):
    app = take_to(add_persons(clerk, employer), state, clerk=clerk, reviewer=reviewer)
    html = client_for({"clerk": clerk, "reviewer": reviewer}[user]).get(url("application_detail", app.pk)).content
    html = html.decode()
    buttons = _primary_buttons(html)
    assert len(buttons) == 1, buttons
    assert buttons[0] == (primary or "")
    if state == Status.INCOMPLETE:  # waiting for the applicant: no resubmit, the item named
        assert url("application_resubmit", app.pk) not in html
        assert "Waiting for the applicant to bring" in html and "Staff list (增员花名册)" in html


def test_a_resubmission_posted_from_an_old_page_is_refused_with_the_missing_items(client_for, clerk, reviewer,
                                                                                   employer):
    app = incomplete(clerk, reviewer, employer)
    response = client_for(clerk).post(url("application_resubmit", app.pk), {"version": app.version}, follow=True)
    assert "The materials are not complete yet: Labour contracts" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Status.INCOMPLETE and app.due_date is None


# -- item 1: irreversible steps ask first --------------------------------------------------------

def test_approval_asks_for_confirmation_showing_what_changes_then_approves(client_for, clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    numbers = list(app.roster_uploads.get(is_current=True).entries.values_list("id_number", flat=True))
    client = client_for(reviewer)
    asked = client.post(url("application_approve", app.pk), {"version": app.version, "note": "同意增员"})
    page = asked.content.decode()
    assert asked.status_code == 200 and 'data-confirmation="approve"' in page
    assert "3 persons on the staff list are insured" in page  # what approval changes in the register
    assert numbers[0] not in page and numbers[0][-4:] in page  # the persons, masked
    assert 'name="confirmed" value="1"' in page and 'name="note" value="同意增员"' in page
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW and not LetterRecord.objects.filter(kind="enrollment.approval").exists()
    assert not Person.objects.filter(id_number__in=numbers).exists()

    done = client.post(url("application_approve", app.pk), {"version": app.version, "note": "同意增员",
                                                             "confirmed": "1"})
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.REGISTERED and app.decision_note == "同意增员"
    assert Person.objects.filter(id_number__in=numbers).count() == 3


def test_rejection_asks_for_confirmation_with_its_reasons(client_for, clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    client = client_for(reviewer)
    form = {"version": app.version, "reasons": ["not_eligible", "other"], "note": "单位未参保"}
    asked = client.post(url("application_reject", app.pk), form)
    page = asked.content.decode()
    assert 'data-confirmation="reject"' in page and "The conditions for registration are not met" in page
    assert page.count('name="reasons"') == 2 and "单位未参保" in page
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW
    client.post(url("application_reject", app.pk), {**form, "confirmed": "1"})
    app.refresh_from_db()
    assert app.status == Status.REJECTED and app.decision_reasons == ["not_eligible", "other"]


def test_other_without_an_explanation_is_refused_before_the_confirmation(client_for, clerk, reviewer, employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    response = client_for(reviewer).post(url("application_reject", app.pk),
                                         {"version": app.version, "reasons": ["other"], "note": ""})
    assert response.status_code == 400 and 'data-confirmation' not in response.content.decode()


def test_registering_an_approved_case_asks_for_confirmation(client_for, clerk, reviewer, employer):
    app = approved_before_one_step(take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk,
                                           reviewer=reviewer), reviewer)
    client = client_for(clerk)
    asked = client.post(url("application_register", app.pk), {"version": app.version})
    assert asked.status_code == 200 and 'data-confirmation="register"' in asked.content.decode()
    app.refresh_from_db()
    assert app.status == Status.APPROVED
    client.post(url("application_register", app.pk), {"version": app.version, "confirmed": "1"})
    app.refresh_from_db()
    assert app.status == Status.REGISTERED


def test_no_confirmation_is_offered_for_a_step_the_user_cannot_take(client_for, make_user, reviewer, employer):
    both = make_user("dual", Role.CLERK, Role.REVIEWER)
    app = take_to(add_persons(both, employer), Status.UNDER_REVIEW, clerk=both, reviewer=reviewer)
    response = client_for(both).post(url("application_approve", app.pk), {"version": app.version}, follow=True)
    page = response.content.decode()
    assert "data-confirmation" not in page and "segregation of duties" in page


# -- item 5: the queue ---------------------------------------------------------------------------

@pytest.fixture
def cases(clerk, clerk2, reviewer, employer):
    """One case in each situation the tabs tell apart."""
    today = timezone.localdate()
    c = {
        "draft_mine": add_persons(clerk, employer),
        "submitted_theirs": take_to(add_persons(clerk2, employer), Status.SUBMITTED, clerk=clerk2, reviewer=reviewer),
        "overdue": take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer),
        "review_unclaimed": take_to(add_persons(clerk, employer), Status.SUBMITTED, clerk=clerk, reviewer=reviewer),
        "review_mine": take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer),
        "incomplete": take_to(add_persons(clerk, employer), Status.INCOMPLETE, clerk=clerk, reviewer=reviewer),
        "registered": take_to(add_persons(clerk2, employer), Status.REGISTERED, clerk=clerk2, reviewer=reviewer),
    }
    Application.objects.filter(pk=c["overdue"].pk).update(due_date=today - timedelta(days=5))
    svc.start_review(actor=clerk, application=c["review_unclaimed"])  # a clerk started it: nobody's yet
    return c


def _numbers(client, query=""):
    response = client.get(url("application_list") + query)
    return {a.number for a in response.context["page_obj"]}, response


def test_a_search_looks_in_every_case_whatever_the_tab_and_says_so(client_for, clerk, cases):
    client = client_for(clerk)
    registered = cases["registered"]
    assert registered.number not in _numbers(client, "?queue=open")[0]
    found, response = _numbers(client, f"?queue=overdue&q={registered.number}")
    assert found == {registered.number}
    page = response.content.decode()
    assert "Searched every case, whatever its tab" in page
    assert not re.search(r'data-tab="\w+" aria-current', page)  # no tab is the current one
    found, _r = _numbers(client, f"?queue=mine&q={registered.employer.name[-4:]}")  # any part of the name
    assert registered.number in found and cases["submitted_theirs"].number in found


def test_closed_cases_show_completed_not_working_days_left(client_for, clerk, cases):
    registered = cases["registered"]
    client = client_for(clerk)
    _found, response = _numbers(client, f"?queue=all&q={registered.number}")
    row = re.search(rf'{registered.number}</a>.*?</tr>', response.content.decode(), re.S).group(0)
    assert "Completed" in row and "working day" not in row
    detail = client.get(url("application_detail", registered.pk)).content.decode()
    assert '<span class="badge ok">Completed</span>' in detail and "working days left" not in detail
    export = b"".join(client.get(url("application_export") + f"?queue=all&q={registered.number}")
                      .streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(export)))[1][8] == "Completed"


def test_the_tabs_show_their_counts_from_one_query(client_for, clerk, reviewer, cases,
                                                   django_assert_num_queries):
    today = timezone.localdate()
    conditions = queue_conditions(clerk, today)
    with django_assert_num_queries(1):
        counts = queue_counts(conditions, ["open", "mine", "drafts", "due_soon", "overdue", "all"])
    # The draft is no case in hand (在办件) yet: it counts among the clerk's drafts.
    assert counts == {"open": 5, "mine": 4, "drafts": 1, "due_soon": counts["due_soon"], "overdue": 1, "all": 7}
    page = client_for(clerk).get(url("application_list")).content.decode()
    assert re.search(r'data-tab="open"[^>]*>Open cases <span class="count">5</span>', page)
    assert re.search(r'data-tab="mine"[^>]*>My open cases <span class="count">4</span>', page)
    assert re.search(r'data-tab="drafts"[^>]*>My drafts \(not submitted\) <span class="count">1</span>', page)
    assert re.search(r'data-tab="overdue"[^>]*>Overdue <span class="count">1</span>', page)
    assert 'data-tab="to_decide"' not in page  # a clerk decides nothing


def test_a_reviewer_has_cases_to_review_and_a_senior_reviewer_cases_to_check(client_for, clerk, reviewer, senior,
                                                                             make_user, employer, cases):
    other = make_user("zoe_reviewer", Role.REVIEWER)
    waiting = {cases["submitted_theirs"].number, cases["overdue"].number, cases["review_unclaimed"].number}
    mine, response = _numbers(client_for(reviewer))  # a reviewer's queue opens on their tab
    assert mine == waiting | {cases["review_mine"].number}
    assert re.search(r'data-tab="to_decide" aria-current="page">Waiting for my review <span class="count">4</span>',
                     response.content.decode())
    assert _numbers(client_for(other))[0] == waiting  # not what another reviewer took up
    page = client_for(senior).get(url("application_list")).content.decode()
    assert "Waiting for my senior review" in page and "Waiting for my review <" not in page
    both = make_user("dual", Role.CLERK, Role.REVIEWER)
    own = take_to(add_persons(both, employer), Status.SUBMITTED, clerk=both, reviewer=reviewer)
    assert own.number not in _numbers(client_for(both), "?queue=to_decide")[0]  # never one's own case


# -- item 5: the home page -----------------------------------------------------------------------

def _tiles(client) -> dict[str, int]:
    html = client.get(reverse("home")).content.decode()
    return {label.strip(): int(n) for n, label in
            re.findall(r'<span class="num">(\d+)</span>([^<]+)</a>', html)}


def test_the_home_page_shows_each_role_its_own_counts(client_for, personas, clerk, reviewer, senior, supervisor,
                                                      cases):
    Discrepancy.objects.create(kind=Discrepancy.Kind.MISSING_AGENCY, id_number="110105194912310029",
                               first_seen=date(2026, 1, 1), last_seen=date(2026, 1, 1), our_value="x")
    assert _tiles(client_for(clerk)) == {"My open cases": 4, "Due within 2 working days": _tiles(
        client_for(clerk))["Due within 2 working days"], "Overdue": 1, "Open discrepancies": 1,
        "My drafts (not submitted)": 1}
    assert _tiles(client_for(reviewer)) == {"Waiting for my review": 4, "Overdue": 1, "Open discrepancies": 1,
                                             "Register changes waiting for my confirmation": 0}
    assert _tiles(client_for(senior)) == {"Waiting for my senior review": 3, "Overdue": 1, "Open discrepancies": 1,
                                           "Register changes waiting for my confirmation": 0}
    supervisor_tiles = _tiles(client_for(supervisor))
    assert {k: supervisor_tiles[k] for k in ("Open cases", "Overdue", "Open discrepancies")} == {
        "Open cases": 5, "Overdue": 1, "Open discrepancies": 1}
    assert "Open problems" in supervisor_tiles  # the problem ledger's own panel
    assert _tiles(client_for(personas["provider"])).get("Overdue") is None


def test_an_approved_case_not_in_the_register_cannot_be_missed_on_the_home_page(client_for, clerk, reviewer,
                                                                                 employer):
    app = take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    assert "Approved, not yet in the register" not in _tiles(client_for(clerk))
    approved_before_one_step(app, reviewer)
    assert _tiles(client_for(clerk))["Approved, not yet in the register"] == 1


@pytest.mark.parametrize("role", ["clerk", "reviewer", "senior_reviewer", "supervisor", "admin"])
def test_the_home_page_query_count_does_not_grow_with_the_cases(role, personas, client_for, clerk, reviewer,
                                                                employer, django_assert_max_num_queries):
    client = client_for(personas[role])
    take_to(add_persons(clerk, employer), Status.UNDER_REVIEW, clerk=clerk, reviewer=reviewer)
    client.get(reverse("home"))  # warm the session
    with django_assert_max_num_queries(20) as one:
        assert client.get(reverse("home")).status_code == 200
    for state in (Status.SUBMITTED, Status.INCOMPLETE, Status.UNDER_REVIEW, Status.REGISTERED) * 3:
        take_to(add_persons(clerk, employer), state, clerk=clerk, reviewer=reviewer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("home")).status_code == 200


def test_the_api_searches_every_case_and_keeps_open_as_its_default_tab(reviewer, cases):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(reviewer)
    base = "/api/v1/enrollment/applications/"
    registered = cases["registered"]
    found = api.get(base, {"queue": "overdue", "q": registered.number}).json()["results"]
    assert [a["number"] for a in found] == [registered.number]
    assert api.get(base).json()["count"] == 5  # open cases (in hand: no draft), whoever asks
