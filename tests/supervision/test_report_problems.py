"""supervision.services.report_problems: set-based, once per source, and the ids for the callers."""

import pytest

from core.models import AuditEntry
from supervision.models import Problem
from supervision.services import report_problem, report_problems

pytestmark = pytest.mark.django_db


def _item(key):
    return {"source_key": key, "source_app": "test", "category": "test", "title": f"问题 {key}"}


def test_it_returns_each_items_problem_id_in_order(supervisor):
    existing, _ = report_problem(**_item("test:b"))
    ids = report_problems([_item("test:a"), _item("test:b"), _item("test:c")], actor=supervisor)
    assert ids == [Problem.objects.get(source_key="test:a").pk, existing.pk, Problem.objects.get(source_key="test:c").pk]
    assert all(isinstance(i, int) for i in ids)
    raised = AuditEntry.objects.filter(action="supervision.problem.raised", actor_name=supervisor.username)
    assert sorted(raised.values_list("object_id", flat=True)) == sorted([str(ids[0]), str(ids[2])])


def test_reporting_again_makes_nothing_new(supervisor):
    first = report_problems([_item("test:a"), _item("test:b")], actor=supervisor)
    entries = AuditEntry.objects.count()
    assert report_problems([_item("test:b"), _item("test:a")], actor=supervisor) == first[::-1]
    assert Problem.objects.count() == 2
    assert AuditEntry.objects.count() == entries


def test_nothing_to_report():
    assert report_problems([]) == []


def test_the_query_count_does_not_grow_with_the_items(supervisor, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        report_problems([_item(f"test:{n}") for n in range(200)], actor=supervisor)
    assert Problem.objects.count() == 200
