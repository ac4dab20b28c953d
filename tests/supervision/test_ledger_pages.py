"""The problem ledger's pages: who may see and work them, the list's filters, counts, search and
export, closing with a confirmation, a page that reads as plain sentences, and flat query counts."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from supervision import services as svc
from supervision.models import Problem
from supervision.services import report_problem

Status = Problem.Status
pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"supervision:{name}", args=args)


def make(key, *, title=None, source_app="enrollment", category="overdue_application", unit="", deadline=None,
         status=Status.OPEN) -> Problem:
    p, _created = report_problem(source_key=key, source_app=source_app, category=category, title=title or key,
                                 responsible_unit=unit)
    Problem.objects.filter(pk=p.pk).update(deadline=deadline, status=status)
    p.refresh_from_db()
    return p


def in_days(n):
    return timezone.localdate() + timedelta(days=n)


# -- who -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "listed", "detail"), [
    ("supervisor", 200, 200), ("admin", 200, 200), ("clerk", 200, 404), ("reviewer", 200, 404),
    ("senior_reviewer", 200, 404), ("settlement_auditor", 200, 404), ("provider", 403, 403),
])
def test_only_supervisors_and_administrators_see_the_whole_ledger(personas, client_for, persona, listed, detail):
    """Other staff see the problems given to them (tests/supervision/test_assigned_problems.py): none here."""
    problem = make("t:1")
    client = client_for(personas[persona])
    response = client.get(url("problem_list"))
    assert response.status_code == listed
    if listed == 200:
        assert len(response.context["rows"]) == (1 if detail == 200 else 0)
    assert client.get(url("problem_detail", problem.pk)).status_code == detail
    assert client.get(url("problem_export")).status_code == listed


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "provider"])
def test_nobody_else_can_work_a_problem(personas, client_for, persona):
    problem = make("t:1")
    client = client_for(personas[persona])
    for name, data in [("problem_assign", {"responsible_unit": "稽核科", "deadline": in_days(3)}),
                       ("problem_deadline", {"deadline": in_days(3)}),
                       ("problem_close", {"note": "x", "confirmed": "1"}),
                       ("problem_reopen", {"note": "x"}), ("problem_rectify", {"rectification": "x"})]:
        response = client.post(url(name, problem.pk), {"version": 1, **data})
        assert response.status_code == 403, name
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.version == 1


def test_an_unknown_problem_is_not_found_and_a_visitor_must_log_in(supervisor, client_for, client):
    assert client_for(supervisor).get(url("problem_detail", 999999)).status_code == 404
    assert client_for(supervisor).post(url("problem_close", 999999), {"version": 1, "note": "x"}).status_code == 404
    response = client.get(url("problem_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- working a problem from its page -----------------------------------------------------------------

def test_a_supervisor_assigns_then_records_the_rectification_from_the_page(supervisor, clerk, client_for):
    problem = make("t:1")
    client = client_for(supervisor)
    response = client.post(url("problem_assign", problem.pk), {
        "version": 1, "assignee": clerk.pk, "responsible_unit": "参保登记科", "deadline": in_days(7).isoformat(),
        "note": "尽快处理"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.assignee, problem.responsible_unit) == (Status.RECTIFYING, clerk, "参保登记科")
    client.post(url("problem_rectify", problem.pk), {"version": problem.version, "rectification": "已补录"})
    problem.refresh_from_db()
    assert problem.status == Status.AWAITING_VERIFICATION and problem.rectification == "已补录"


def test_the_page_offers_only_the_moves_the_state_allows(supervisor, client_for):
    problem = make("t:1")
    client = client_for(supervisor)
    forms = client.get(url("problem_detail", problem.pk)).context["forms"]
    assert set(forms) == {"assign", "close"}  # nobody has it yet: its deadline comes with the assignment
    Problem.objects.filter(pk=problem.pk).update(status=Status.RECTIFYING)
    assert set(client.get(url("problem_detail", problem.pk)).context["forms"]) == {"assign", "deadline", "rectify"}
    Problem.objects.filter(pk=problem.pk).update(status=Status.AWAITING_VERIFICATION)
    assert set(client.get(url("problem_detail", problem.pk)).context["forms"]) == {"close", "reopen"}
    Problem.objects.filter(pk=problem.pk).update(status=Status.CLOSED)
    assert set(client.get(url("problem_detail", problem.pk)).context["forms"]) == {"reopen"}


def test_closing_asks_for_confirmation_first(supervisor, client_for, english_pages):
    problem = make("t:1", title="重复参保")
    client = client_for(supervisor)
    response = client.post(url("problem_close", problem.pk), {"version": 1, "note": "经核实无误"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Close the problem?" in html and "经核实无误" in html and 'name="confirmed" value="1"' in html
    problem.refresh_from_db()
    assert problem.status == Status.OPEN  # nothing closed yet
    response = client.post(url("problem_close", problem.pk), {"version": 1, "note": "经核实无误", "confirmed": "1"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED


def test_a_stale_page_is_refused_with_a_message(supervisor, client_for, english_pages):
    problem = make("t:1")
    client = client_for(supervisor)
    svc.assign_problem(actor=supervisor, problem=problem, responsible_unit="参保登记科", deadline=in_days(9),
                       expected_version=1)
    response = client.post(url("problem_deadline", problem.pk), {"version": 1, "deadline": in_days(3)}, follow=True)
    assert "Someone else changed this record" in response.content.decode()
    response = client.post(url("problem_assign", problem.pk), {
        "version": 1, "responsible_unit": "稽核科", "deadline": in_days(7).isoformat()}, follow=True)
    assert "Someone else changed this record" in response.content.decode()
    problem.refresh_from_db()
    assert problem.status == Status.RECTIFYING and problem.deadline == in_days(9)
    assert problem.responsible_unit == "参保登记科"


def test_an_assignment_without_anyone_is_shown_on_the_form(supervisor, client_for, english_pages):
    problem = make("t:1")
    response = client_for(supervisor).post(url("problem_assign", problem.pk), {
        "version": 1, "deadline": in_days(-2).isoformat()})
    assert response.status_code == 400
    form = response.context["forms"]["assign"]
    assert form.errors["assignee"] and form.errors["deadline"]


# -- reads as plain sentences -------------------------------------------------------------------------

CODES = re.compile(r"\b(OPEN|RECTIFYING|AWAITING_VERIFICATION|CLOSED|REOPENED|MEDIUM|HIGH|LOW)\b"
                   r"|supervision\.|overdue_application|enrollment\.discrepancy|responsible_unit|assignee"
                   r"|rectified_at|times_reported|source_key|[{}]|\w+=\w")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)  # attributes (names, values, URLs) are not read by anyone
    return re.sub(r"\s+", " ", html)


def test_the_ledger_reads_as_sentences_without_codes(supervisor, clerk, client_for):
    clerk.first_name, clerk.last_name = "王芳", ""
    clerk.save(update_fields=["first_name", "last_name"])
    problem = make("enrollment.application:1:overdue", title="案件 GZ-2026-000001 已超期")
    svc.assign_problem(actor=supervisor, problem=problem, assignee=clerk, responsible_unit="参保登记科",
                       deadline=in_days(5), note="请尽快办理", expected_version=1)
    svc.record_rectification(actor=supervisor, problem=problem, rectification="已办结", expected_version=2)
    svc.reopen_problem(actor=supervisor, problem=problem, note="未通知申请人", expected_version=3)
    client = client_for(supervisor)
    for language in ("zh-hans", "en"):
        client.cookies["django_language"] = language
        with translation.override(language):
            detail = visible_text(client.get(url("problem_detail", problem.pk)).content.decode())
            listing = visible_text(client.get(url("problem_list")).content.decode())
        for text in (detail, listing):
            assert not CODES.search(text), (language, CODES.search(text).group(0), text[:2000])
        assert "王芳" in detail and "参保登记科" in detail and "未通知申请人" in detail
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        detail = visible_text(client.get(url("problem_detail", problem.pk)).content.decode())
    assert "frank_supervisor assigned it to 王芳 (参保登记科), to be rectified by" in detail
    assert "recorded the rectification: 已办结" in detail and "reopened the problem" in detail
    assert "A case past its time limit" in detail and "Enrollment" in detail


# -- the list ---------------------------------------------------------------------------------------------

@pytest.fixture
def ledger(db):
    return {
        "late": make("t:late", title="逾期未整改的问题", unit="参保登记科", deadline=in_days(-3), status=Status.RECTIFYING),
        "open": make("t:open", title="新问题", unit="稽核科"),
        "closed": make("t:closed", title="旧问题", unit="参保登记科", deadline=in_days(-3), status=Status.CLOSED),
        "other": make("t:other", title="结算差错", source_app="supervision", category="spot_check",
                      deadline=in_days(4), status=Status.RECTIFYING),
    }


def listed(client, query="") -> set[str]:
    response = client.get(url("problem_list") + query)
    assert response.status_code == 200
    return {r["obj"].source_key for r in response.context["rows"]}


def test_the_list_filters_by_state_source_unit_overdue_and_title(supervisor, client_for, ledger):
    client = client_for(supervisor)
    assert listed(client) == {"t:late", "t:open", "t:closed", "t:other"}
    assert listed(client, "?status=RECTIFYING") == {"t:late", "t:other"}
    assert listed(client, "?source=supervision") == {"t:other"}
    assert listed(client, "?unit=参保登记科") == {"t:late", "t:closed"}
    assert listed(client, "?overdue=on") == {"t:late"}
    assert listed(client, "?q=问题") == {"t:late", "t:open", "t:closed"}
    assert listed(client, "?q=逾期&unit=参保登记科&overdue=on") == {"t:late"}


def test_the_list_counts_each_state_and_the_overdue(supervisor, client_for, ledger):
    response = client_for(supervisor).get(url("problem_list"))
    counts = {value: n for value, _label, n in response.context["counts"]}
    assert counts == {"OPEN": 1, "RECTIFYING": 2, "AWAITING_VERIFICATION": 0, "CLOSED": 1, "REOPENED": 0}
    assert response.context["overdue_total"] == 1


def test_the_list_pages(supervisor, client_for):
    for n in range(55):
        make(f"t:{n}")
    client = client_for(supervisor)
    assert len(client.get(url("problem_list")).context["rows"]) == 50
    assert len(client.get(url("problem_list") + "?page=2").context["rows"]) == 5


def test_the_export_has_the_filtered_rows_in_words(supervisor, client_for, ledger, english_pages):
    response = client_for(supervisor).get(url("problem_export") + "?unit=参保登记科&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["No.", "Raised on", "Source"]
    titles = {r[4]: r for r in rows[1:]}
    assert set(titles) == {"逾期未整改的问题", "旧问题"}
    late = titles["逾期未整改的问题"]
    assert late[3] == "A case past its time limit" and late[6] == "Being rectified" and late[10] == "Yes"
    assert titles["旧问题"][10] == "No"
    xlsx = client_for(supervisor).get(url("problem_export") + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')


def test_the_list_query_count_does_not_grow_with_the_rows(supervisor, clerk, client_for,
                                                          django_assert_max_num_queries):
    client = client_for(supervisor)
    for n in range(3):
        p = make(f"t:{n}", unit=f"科室{n}")
        svc.assign_problem(actor=supervisor, problem=p, assignee=clerk, deadline=in_days(1), expected_version=1)
    client.get(url("problem_list"))  # warm the session
    with django_assert_max_num_queries(20) as three:
        assert client.get(url("problem_list")).status_code == 200
    for n in range(3, 40):
        p = make(f"t:{n}", unit=f"科室{n}")
        svc.assign_problem(actor=supervisor, problem=p, assignee=clerk, deadline=in_days(1), expected_version=1)
    with django_assert_max_num_queries(len(three.captured_queries)):
        response = client.get(url("problem_list") + "?overdue=&q=t")
    assert response.status_code == 200 and len(response.context["rows"]) == 40


def test_the_detail_query_count_does_not_grow_with_the_history(supervisor, clerk, client_for,
                                                               django_assert_max_num_queries):
    problem = make("t:1")
    svc.assign_problem(actor=supervisor, problem=problem, assignee=clerk, deadline=in_days(30), expected_version=1)
    client = client_for(supervisor)
    client.get(url("problem_detail", problem.pk))
    with django_assert_max_num_queries(25) as short:
        client.get(url("problem_detail", problem.pk))
    for n in range(10):
        svc.set_problem_deadline(actor=supervisor, problem=problem, deadline=in_days(n + 1),
                                 expected_version=problem.version)
    with django_assert_max_num_queries(len(short.captured_queries)):
        assert len(client.get(url("problem_detail", problem.pk)).context["timeline"]) == 12


def test_the_supervisors_home_shows_the_ledgers_counts(supervisor, clerk, client_for, ledger,
                                                     django_assert_max_num_queries):
    from supervision.selectors import home_summary

    with django_assert_max_num_queries(1):
        assert home_summary(supervisor) == {"open": 3, "overdue": 1, "to_verify": 0}
    panels = client_for(supervisor).get(reverse("home")).context["panels"]
    assert {"template": "supervision/_home_panel.html", "data": {"open": 3, "overdue": 1, "to_verify": 0}} in panels
    assert all(p["template"] != "supervision/_home_panel.html"
               for p in client_for(clerk).get(reverse("home")).context["panels"])


def test_the_system_user_is_named_as_the_system(django_user_model, english):
    from core.system import staff_name

    job = django_user_model.objects.create_user(username="system", first_name="System", is_active=False)
    assert staff_name(job) == "The system"
    assert staff_name(django_user_model(username="wf", first_name="王芳")) == "王芳"


# -- the menu ------------------------------------------------------------------------------------------------

def test_administrators_reach_the_admin_from_the_menu(admin_user, supervisor, client_for, english_pages):
    def menu(user):
        return {i["label"]: i["url"] for i in client_for(user).get(reverse("home")).context["nav_items"]}

    assert menu(admin_user)["Administration"] == reverse("admin:index")
    assert list(menu(admin_user))[-1] == "Administration"
    assert "Administration" not in menu(supervisor)
    assert client_for(admin_user).get(reverse("admin:index")).status_code == 200
