"""A problem's page as a supervisor works it: the date pickers show the deadline (ISO, which the
browser reads), the forms on one page never share an id, the deadline can be changed only where the
table allows it (while the problem is being rectified), and the export names its columns as the
list does."""

import csv
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from supervision import services as svc
from supervision.models import Problem
from supervision.services import report_problem
from tests.plain_text import visible_text

pytestmark = pytest.mark.django_db
Status = Problem.Status


def in_days(n):
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def problem(db):
    problem, _created = report_problem(source_key="t:1", source_app="enrollment", category="overdue_application",
                                       title="案件超期")
    return problem


def page(client, problem) -> str:
    response = client.get(reverse("supervision:problem_detail", args=[problem.pk]))
    assert response.status_code == 200
    return response.content.decode()


def ids_and_labels(html: str) -> tuple[Counter, set]:
    return Counter(re.findall(r'\bid="([^"]+)"', html)), set(re.findall(r'<label for="([^"]+)"', html))


def test_a_problem_being_rectified_shows_both_deadlines_as_iso_with_ids_of_their_own(
        supervisor, clerk, client_for, problem):
    svc.assign_problem(actor=supervisor, problem=problem, assignee=clerk, deadline=in_days(16), expected_version=1)
    client = client_for(supervisor)
    client.cookies["django_language"] = "zh-hans"
    html = page(client, problem)
    deadline = in_days(16).isoformat()
    pickers = re.findall(r'<input type="date"[^>]*>', html)
    assert len(pickers) == 2 and all(f'value="{deadline}"' in p for p in pickers), pickers
    ids, labels = ids_and_labels(html)
    assert [i for i, n in ids.items() if n > 1] == []
    assert labels <= set(ids), labels - set(ids)  # every label names a field on the page
    assert {"id_assign_deadline", "id_deadline_deadline", "id_assign_note", "id_deadline_note"} <= set(ids)


def test_a_refused_form_comes_back_with_its_own_ids(supervisor, clerk, client_for, problem):
    svc.assign_problem(actor=supervisor, problem=problem, assignee=clerk, deadline=in_days(16), expected_version=1)
    response = client_for(supervisor).post(reverse("supervision:problem_deadline", args=[problem.pk]),
                                           {"version": problem.version, "deadline": in_days(-1).isoformat()})
    assert response.status_code == 400
    html = response.content.decode()
    ids, labels = ids_and_labels(html)
    assert [i for i, n in ids.items() if n > 1] == [] and labels <= set(ids)
    [sent] = [tag for tag in re.findall(r"<input [^>]*>", html) if 'id="id_deadline_deadline"' in tag]
    assert f'value="{in_days(-1).isoformat()}"' in sent  # what was sent, shown back to be corrected


def test_a_problem_nobody_was_given_has_no_deadline_to_change(supervisor, client_for, problem):
    html = page(client_for(supervisor), problem)
    assert reverse("supervision:problem_assign", args=[problem.pk]) in html
    assert reverse("supervision:problem_deadline", args=[problem.pk]) not in html
    response = client_for(supervisor).post(reverse("supervision:problem_deadline", args=[problem.pk]),
                                           {"version": 1, "deadline": in_days(5).isoformat()})
    assert response.status_code == 302  # refused by the table, with a message
    problem.refresh_from_db()
    assert (problem.status, problem.version, problem.deadline) == (Status.OPEN, 1, None)


def test_the_export_names_its_columns_as_the_list_does(supervisor, client_for, problem):
    client = client_for(supervisor)
    client.cookies["django_language"] = "zh-hans"
    listed = client.get(reverse("supervision:problem_list")).content.decode()
    columns = [visible_text(th).strip() for th in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', listed)]
    exported = client.get(reverse("supervision:problem_export") + "?format=csv")
    headers = next(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert columns[0] == headers[0] == "序号"
    assert set(columns) <= set(headers), set(columns) - set(headers)
