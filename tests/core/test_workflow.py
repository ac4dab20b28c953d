"""core.workflow.transition on supervision.Problem (it has a TRANSITIONS table), and report_problem."""

import pytest

from core.errors import InvalidTransition, PermissionDenied
from core.models import AuditEntry
from core.workflow import allowed_targets, transition
from supervision.models import Problem
from supervision.services import report_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(supervisor):
    problem, created = report_problem(source_key="test:workflow", source_app="core", category="test",
                                      title="超期未办结", actor=supervisor)
    assert created
    return problem


def _entries(problem):
    return AuditEntry.objects.filter(object_type="supervision.problem", object_id=str(problem.pk)).order_by("seq")


def test_an_allowed_transition_moves_the_state_and_is_audited(problem, supervisor):
    before_version = problem.version
    transition(problem, Problem.Status.RECTIFYING, actor=supervisor, note="责任科室已整改")
    problem.refresh_from_db()
    assert problem.status == Problem.Status.RECTIFYING
    assert problem.version == before_version + 1
    entry = _entries(problem).last()
    assert entry.action == "supervision.problem.rectifying"
    assert entry.actor_name == supervisor.username
    assert entry.before == {"status": "OPEN"}
    assert entry.after == {"status": "RECTIFYING", "note": "责任科室已整改"}


def test_a_transition_applies_its_changes_in_the_same_save(problem, supervisor):
    transition(problem, Problem.Status.CLOSED, actor=supervisor, action="supervision.problem.closed",
               changes={"description": "已核实"})
    problem.refresh_from_db()
    assert (problem.status, problem.description) == (Problem.Status.CLOSED, "已核实")
    entry = _entries(problem).last()
    assert entry.action == "supervision.problem.closed"
    assert entry.before == {"status": "OPEN", "description": ""}
    assert entry.after == {"status": "CLOSED", "description": "已核实"}


def test_a_transition_the_table_does_not_allow_is_refused_and_not_audited(problem, supervisor):
    count = _entries(problem).count()
    with pytest.raises(InvalidTransition) as refused:
        transition(problem, Problem.Status.AWAITING_VERIFICATION, actor=supervisor)
    assert refused.value.code == "invalid_transition"
    assert refused.value.status == 409
    problem.refresh_from_db()
    assert problem.status == Problem.Status.OPEN
    assert _entries(problem).count() == count


def test_a_transition_by_a_role_that_may_not_make_it_is_refused_and_not_audited(problem, clerk):
    count = _entries(problem).count()
    with pytest.raises(PermissionDenied) as refused:
        transition(problem, Problem.Status.RECTIFYING, actor=clerk)
    assert refused.value.status == 403
    problem.refresh_from_db()
    assert (problem.status, problem.version) == (Problem.Status.OPEN, 1)
    assert _entries(problem).count() == count


def test_allowed_targets_lists_the_moves_the_user_may_make(problem, supervisor, clerk):
    assert set(allowed_targets(problem, supervisor)) == {  # OPEN to OPEN: an edit (a new deadline)
        Problem.Status.RECTIFYING, Problem.Status.CLOSED, Problem.Status.OPEN}
    assert allowed_targets(problem, clerk) == []


def test_reporting_the_same_source_again_counts_it_on_one_entry(supervisor):
    first, created = report_problem(source_key="enrollment.application:7", source_app="enrollment",
                                    category="overdue", title="申请超期", actor=None)
    again, created_again = report_problem(source_key="enrollment.application:7", source_app="enrollment",
                                          category="overdue", title="申请超期（再次）", actor=None)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Problem.objects.filter(source_key="enrollment.application:7").count() == 1
    again.refresh_from_db()
    assert again.times_reported == 2
    assert again.title == "申请超期"
    assert list(_entries(again).values_list("action", flat=True)) == [
        "supervision.problem.raised", "supervision.problem.reported_again"]

    other, created_other = report_problem(source_key="enrollment.application:8", source_app="enrollment",
                                          category="overdue", title="另一申请超期")
    assert created_other and other.pk != first.pk


def test_reporting_a_closed_problem_again_reopens_it(problem, supervisor):
    transition(problem, Problem.Status.CLOSED, actor=supervisor)
    again, created = report_problem(source_key="test:workflow", source_app="core", category="test", title="超期未办结")
    assert not created
    again.refresh_from_db()
    assert again.status == Problem.Status.REOPENED
    assert again.times_reported == 2
