"""A problem is given to the person responsible for rectifying it, who then sees it: the list shows a
member of staff the problems assigned to them and nothing else, a problem's page is theirs to read
(read-only: the ledger's moves are the supervisors'), and their home page counts what they have to
rectify. Anything not assigned to them is not there (404); a provider sees nothing (403)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from supervision import services as svc
from supervision.models import Problem
from supervision.selectors import assigned_summary
from supervision.services import report_problem

pytestmark = pytest.mark.django_db
Status = Problem.Status
PANEL = "supervision/_assigned_panel.html"


def url(name, *args):
    return reverse(f"supervision:{name}", args=args)


def in_days(n):
    return timezone.localdate() + timedelta(days=n)


def make(key: str) -> Problem:
    return report_problem(source_key=key, source_app="enrollment", category="overdue_application", title=key)[0]


@pytest.fixture
def given(supervisor, clerk, clerk2):
    """Three problems: one given to the clerk, one to the other clerk, one to nobody yet."""
    mine, theirs, nobodys = make("t:mine"), make("t:theirs"), make("t:nobody")
    svc.assign_problem(actor=supervisor, problem=mine, assignee=clerk, deadline=in_days(10), expected_version=1)
    svc.assign_problem(actor=supervisor, problem=theirs, assignee=clerk2, deadline=in_days(10), expected_version=1)
    return {"mine": mine, "theirs": theirs, "nobody": nobodys}


def listed(client, query: str = "") -> set[str]:
    response = client.get(url("problem_list") + query)
    assert response.status_code == 200
    return {row["obj"].title for row in response.context["rows"]}


def test_a_clerk_lists_the_problems_assigned_to_her_and_nothing_else(given, clerk, client_for):
    client = client_for(clerk)
    assert listed(client) == {"t:mine"} and listed(client, "?status=OPEN") == set()
    response = client.get(url("problem_list"))
    counts = {value: n for value, _label, n in response.context["counts"]}
    assert counts[Status.RECTIFYING] == 1 and sum(counts.values()) == 1  # her counts, not the ledger's
    assert not response.context["whole_ledger"]
    export = b"".join(client.get(url("problem_export") + "?format=csv").streaming_content).decode("utf-8-sig")
    assert "t:mine" in export and "t:theirs" not in export and "t:nobody" not in export


def test_a_clerk_reads_her_problem_but_cannot_work_it(given, clerk, client_for):
    client = client_for(clerk)
    mine = given["mine"]
    response = client.get(url("problem_detail", mine.pk))
    assert response.status_code == 200 and response.context["forms"] == {}
    page = response.content.decode()
    for move in ("problem_assign", "problem_deadline", "problem_rectify", "problem_close", "problem_reopen"):
        assert url(move, mine.pk) not in page
    for move, data in [("problem_rectify", {"rectification": "已更正"}), ("problem_deadline", {"deadline": in_days(3)}),
                       ("problem_close", {"note": "x", "confirmed": "1"})]:
        assert client.post(url(move, mine.pk), {"version": mine.version, **data}).status_code == 403, move
    mine.refresh_from_db()
    assert mine.status == Status.RECTIFYING and mine.version == 2


@pytest.mark.parametrize("other", ["theirs", "nobody"])
def test_a_problem_not_assigned_to_her_is_not_there(given, clerk, client_for, other):
    assert client_for(clerk).get(url("problem_detail", given[other].pk)).status_code == 404


def test_a_supervisor_still_sees_and_works_the_whole_ledger(given, supervisor, client_for):
    client = client_for(supervisor)
    assert listed(client) == {"t:mine", "t:theirs", "t:nobody"}
    assert listed(client, "?mine=on") == set()  # none is given to the supervisor
    response = client.get(url("problem_detail", given["nobody"].pk))
    assert response.status_code == 200 and set(response.context["forms"]) == {"assign", "close"}


def test_her_home_page_counts_the_problems_she_has_to_rectify(given, supervisor, clerk, clerk2, reviewer, client_for,
                                                              django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert assigned_summary(clerk) == {"open": 1, "overdue": 0}
    Problem.objects.filter(pk=given["mine"].pk).update(deadline=in_days(-1))
    home = client_for(clerk).get(reverse("home"))
    assert {"template": PANEL, "data": {"open": 1, "overdue": 1}} in home.context["panels"]
    text = home.content.decode()
    assert url("problem_list") + "?mine=on" in text
    assert all(p["template"] != PANEL for p in client_for(reviewer).get(reverse("home")).context["panels"])
    svc.record_rectification(actor=supervisor, problem=given["theirs"], rectification="已更正",
                             expected_version=given["theirs"].version)
    svc.close_problem(actor=supervisor, problem=given["theirs"], note="核实无误",
                      expected_version=given["theirs"].version)
    assert assigned_summary(clerk2) is None  # closed: nothing left to rectify, no panel


def test_a_provider_sees_nothing_of_the_ledger(given, provider_user, client_for):
    client = client_for(provider_user)
    assert client.get(url("problem_list")).status_code == 403
    assert client.get(url("problem_detail", given["mine"].pk)).status_code == 403
    assert all(p["template"] != PANEL for p in client.get(reverse("home")).context["panels"])
