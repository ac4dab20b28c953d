"""core.workflow on supervision.Problem (it has a TRANSITIONS table): begin and finish, transition,
the system actor, and report_problem."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationFailed
from core.models import AuditEntry
from core.roles import Role, roles_of
from core.system import SYSTEM_USERNAME, system_user
from core.workflow import allowed_targets, begin, finish, movable_from, transition
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
    assert set(allowed_targets(problem, supervisor)) == {  # its deadline comes with the assignment
        Problem.Status.RECTIFYING, Problem.Status.CLOSED}
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
    assert again.version == 3  # the close and the reopening


def test_reporting_a_closed_problem_again_reopens_it_as_the_system_and_audits_both(problem, supervisor, clerk):
    transition(problem, Problem.Status.CLOSED, actor=supervisor)
    report_problem(source_key="test:workflow", source_app="core", category="test", title="again", actor=clerk)
    reported, reopened = _entries(problem).order_by("-seq")[:2][::-1]
    assert (reported.action, reported.actor_name) == ("supervision.problem.reported_again", clerk.username)
    assert (reopened.action, reopened.actor_name) == ("supervision.problem.reopened", SYSTEM_USERNAME)
    assert (reopened.before, reopened.after) == ({"status": "CLOSED"}, {"status": "REOPENED"})


def test_a_reopening_the_table_does_not_grant_the_system_is_refused_and_nothing_is_counted(
        problem, supervisor, monkeypatch):
    transition(problem, Problem.Status.CLOSED, actor=supervisor)
    table = {**Problem.TRANSITIONS, Problem.Status.CLOSED: {Problem.Status.REOPENED: (Role.SUPERVISOR,)}}
    monkeypatch.setattr(Problem, "TRANSITIONS", table)
    with pytest.raises(PermissionDenied):
        report_problem(source_key="test:workflow", source_app="core", category="test", title="again")
    problem.refresh_from_db()
    assert (problem.status, problem.times_reported) == (Problem.Status.CLOSED, 1)


# --- the two steps --------------------------------------------------------------------------------

def test_work_between_begin_and_finish_sees_the_locked_row_and_the_caller_gets_the_saved_one(problem, supervisor):
    stale = Problem.objects.get(pk=problem.pk)
    with transaction.atomic():
        move = begin(problem, Problem.Status.RECTIFYING, actor=supervisor, expected_version=1)
        assert move.obj is not problem and move.source == Problem.Status.OPEN
        Problem.objects.filter(pk=problem.pk).update(description="checked on the spot")  # the work in between
        move.obj.refresh_from_db(fields=["description"])
        saved = finish(move, changes={"responsible_unit": "稽核科"}, after={"checked": True})
    assert (problem.status, problem.version, problem.responsible_unit, problem.description) == (
        Problem.Status.RECTIFYING, 2, "稽核科", "checked on the spot")
    assert saved.version == 2 and stale.version == 1
    entry = _entries(problem).last()
    assert entry.before == {"status": "OPEN", "responsible_unit": ""}
    assert entry.after == {"status": "RECTIFYING", "responsible_unit": "稽核科", "checked": True}


def test_a_refusal_between_begin_and_finish_leaves_the_row_and_the_trail_as_they_were(problem, supervisor):
    count = _entries(problem).count()
    with pytest.raises(ValidationFailed), transaction.atomic():
        move = begin(problem, Problem.Status.CLOSED, actor=supervisor)
        finish(move, changes={"description": "closed"})
        raise ValidationFailed("the letter could not be issued")
    problem.refresh_from_db()
    assert (problem.status, problem.version, problem.description) == (Problem.Status.OPEN, 1, "")
    assert _entries(problem).count() == count


def test_begin_refuses_a_stale_version_before_anything_else(problem, supervisor, clerk):
    transition(problem, Problem.Status.RECTIFYING, actor=supervisor)
    with pytest.raises(ConcurrentEdit), transaction.atomic():
        begin(problem, Problem.Status.AWAITING_VERIFICATION, actor=clerk, expected_version=1)


def test_a_move_is_finished_once(problem, supervisor):
    with transaction.atomic():
        move = begin(problem, Problem.Status.RECTIFYING, actor=supervisor)
        finish(move)
        with pytest.raises(RuntimeError, match="already"):
            finish(move)


@pytest.mark.usefixtures("english")  # the message is asserted in English; the site speaks Chinese by default
def test_a_final_state_says_it_can_no_longer_change(problem, supervisor, monkeypatch):
    transition(problem, Problem.Status.CLOSED, actor=supervisor)
    monkeypatch.setattr(Problem, "TRANSITIONS", {**Problem.TRANSITIONS, Problem.Status.CLOSED: {}})
    with pytest.raises(InvalidTransition, match="can no longer change"):
        transition(problem, Problem.Status.REOPENED, actor=supervisor)


# --- the system actor -----------------------------------------------------------------------------

def test_the_system_user_holds_the_system_role_only_and_cannot_log_in(db):
    user = system_user()
    assert system_user().pk == user.pk
    assert roles_of(user) == {Role.SYSTEM.value}
    assert not user.is_active and not user.has_usable_password() and not user.is_superuser


def test_a_login_capable_account_named_system_is_never_made_the_system(django_user_model):
    django_user_model.objects.create_user(username=SYSTEM_USERNAME, password="a-real-password")
    with pytest.raises(ImproperlyConfigured):
        system_user()


def test_the_table_refuses_the_system_a_move_it_does_not_list(problem):
    system = system_user()
    with pytest.raises(PermissionDenied):
        transition(problem, Problem.Status.RECTIFYING, actor=system)
    with pytest.raises(PermissionDenied):
        movable_from(Problem, Problem.Status.RECTIFYING, actor=system)
    problem.refresh_from_db()
    assert (problem.status, problem.version) == (Problem.Status.OPEN, 1)
    assert movable_from(Problem, Problem.Status.REOPENED, actor=system) == [Problem.Status.CLOSED]
