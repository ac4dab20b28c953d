"""Working the problem ledger through its services: every move is one of Problem.TRANSITIONS made
through core.workflow, audited with its note, refused when stale, invalid or not the actor's to make."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import ConcurrentEdit, InvalidTransition, PermissionDenied, ValidationFailed
from core.models import AuditEntry
from supervision import services as svc
from supervision.models import Problem
from supervision.selectors import ledger_summary, overdue
from supervision.services import report_problem

Status = Problem.Status
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def problem(db):
    problem, _created = report_problem(source_key="test:1", source_app="enrollment", category="overdue_application",
                                       title="案件 GZ-2026-000001 已超期")
    return problem


def in_days(n: int):
    return timezone.localdate() + timedelta(days=n)


def assign(actor, problem, **extra):
    args = {"assignee": None, "responsible_unit": "参保登记科", "deadline": in_days(10), "note": "",
            "expected_version": problem.version, **extra}
    return svc.assign_problem(actor=actor, problem=problem, **args)


def last_entry(problem) -> AuditEntry:
    return AuditEntry.objects.filter(object_type="supervision.problem", object_id=str(problem.pk)).order_by("-seq")[0]


def test_a_supervisor_assigns_a_problem_to_a_staff_member_and_a_unit(supervisor, clerk, problem):
    assign(supervisor, problem, assignee=clerk, note="请核实后整改")
    problem.refresh_from_db()
    assert problem.status == Status.RECTIFYING
    assert (problem.assignee, problem.responsible_unit, problem.deadline) == (clerk, "参保登记科", in_days(10))
    entry = last_entry(problem)
    assert entry.action == "supervision.problem.assigned" and entry.actor_id == supervisor.pk
    assert entry.before["status"] == Status.OPEN and entry.after["status"] == Status.RECTIFYING
    assert entry.after["assignee"] == clerk.pk and entry.after["note"] == "请核实后整改"


def test_every_mistake_of_an_assignment_is_named_at_once(supervisor, provider_user, problem):
    with pytest.raises(ValidationFailed) as refused:
        assign(supervisor, problem, responsible_unit="  ", deadline=in_days(-1))
    assert {e["field"] for e in refused.value.errors} == {"assignee", "deadline"}
    with pytest.raises(ValidationFailed) as refused:
        assign(supervisor, problem, assignee=provider_user, deadline=None)
    assert {e["field"] for e in refused.value.errors} == {"assignee", "deadline"}
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.version == 1


def test_an_edit_from_a_stale_page_is_refused(supervisor, problem):
    stale = problem.version
    assign(supervisor, problem, deadline=in_days(5))
    with pytest.raises(ConcurrentEdit):
        assign(supervisor, problem, expected_version=stale)
    with pytest.raises(ConcurrentEdit):
        svc.set_problem_deadline(actor=supervisor, problem=problem, deadline=in_days(9), expected_version=stale)
    problem.refresh_from_db()
    assert problem.status == Status.RECTIFYING and problem.deadline == in_days(5)


def test_the_deadline_is_changed_only_while_the_problem_is_being_rectified(supervisor, problem):
    """A problem nobody has been given yet gets its deadline with the assignment: no edit before it."""
    with pytest.raises(InvalidTransition):
        svc.set_problem_deadline(actor=supervisor, problem=problem, deadline=in_days(5), expected_version=1)
    problem.refresh_from_db()
    assert (problem.status, problem.version, problem.deadline) == (Status.OPEN, 1, None)
    assign(supervisor, problem)
    svc.set_problem_deadline(actor=supervisor, problem=problem, deadline=in_days(20), note="需补充材料",
                             expected_version=problem.version)
    problem.refresh_from_db()
    assert (problem.status, problem.deadline) == (Status.RECTIFYING, in_days(20))
    assert last_entry(problem).action == "supervision.problem.deadline_set"


def test_a_problem_goes_round_the_whole_table(supervisor, admin_user, clerk, problem):
    assign(supervisor, problem, assignee=clerk)
    assign(supervisor, problem, assignee=None, responsible_unit="稽核科", expected_version=problem.version)
    assert last_entry(problem).action == "supervision.problem.reassigned" and problem.status == Status.RECTIFYING
    svc.record_rectification(actor=supervisor, problem=problem, rectification="已补录参保信息",
                             expected_version=problem.version)
    assert problem.status == Status.AWAITING_VERIFICATION and problem.rectified_at is not None
    svc.reopen_problem(actor=admin_user, problem=problem, note="整改不到位", expected_version=problem.version)
    assert problem.status == Status.REOPENED
    assign(supervisor, problem, expected_version=problem.version)
    svc.record_rectification(actor=supervisor, problem=problem, rectification="已重新核对",
                             expected_version=problem.version)
    svc.close_problem(actor=supervisor, problem=problem, note="经核查已整改", expected_version=problem.version)
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED and problem.closed_at is not None and problem.version == 8
    svc.reopen_problem(actor=supervisor, problem=problem, note="同类问题再次出现", expected_version=problem.version)
    problem.refresh_from_db()
    assert problem.status == Status.REOPENED and problem.closed_at is None
    actions = list(AuditEntry.objects.filter(object_type="supervision.problem", object_id=str(problem.pk))
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["supervision.problem.raised", "supervision.problem.assigned", "supervision.problem.reassigned",
                       "supervision.problem.rectified", "supervision.problem.reopened", "supervision.problem.assigned",
                       "supervision.problem.rectified", "supervision.problem.closed", "supervision.problem.reopened"]


def test_a_problem_with_nothing_to_rectify_closes_straight_away(supervisor, problem):
    svc.close_problem(actor=supervisor, problem=problem, note="重复报告", expected_version=1)
    assert problem.status == Status.CLOSED and last_entry(problem).after["note"] == "重复报告"


@pytest.mark.parametrize("move", ["rectify", "reopen"])
def test_moves_the_table_does_not_list_are_refused(supervisor, problem, move):
    with pytest.raises(InvalidTransition):
        if move == "rectify":
            svc.record_rectification(actor=supervisor, problem=problem, rectification="x", expected_version=1)
        else:
            svc.reopen_problem(actor=supervisor, problem=problem, note="x", expected_version=1)
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.version == 1


def test_closing_before_verification_is_refused_while_it_is_being_rectified(supervisor, problem):
    assign(supervisor, problem)
    with pytest.raises(InvalidTransition):
        svc.close_problem(actor=supervisor, problem=problem, note="x", expected_version=problem.version)


def test_a_closed_problem_keeps_its_deadline(supervisor, problem):
    svc.close_problem(actor=supervisor, problem=problem, note="无需整改", expected_version=1)
    with pytest.raises(InvalidTransition):
        svc.set_problem_deadline(actor=supervisor, problem=problem, deadline=in_days(3), expected_version=2)


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "senior", "auditor", "provider_user"])
def test_only_supervisors_and_administrators_work_the_ledger(request, persona, problem):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        assign(actor, problem)
    with pytest.raises(PermissionDenied):
        svc.close_problem(actor=actor, problem=problem, note="x", expected_version=1)
    problem.refresh_from_db()
    assert problem.status == Status.OPEN and problem.version == 1


def test_closing_and_reopening_need_a_note_and_rectifying_a_text(supervisor, problem):
    with pytest.raises(ValidationFailed):
        svc.close_problem(actor=supervisor, problem=problem, note="  ", expected_version=1)
    assign(supervisor, problem)
    with pytest.raises(ValidationFailed):
        svc.record_rectification(actor=supervisor, problem=problem, rectification="", expected_version=2)
    assert Problem.objects.get(pk=problem.pk).status == Status.RECTIFYING


def test_overdue_means_the_deadline_passed_and_not_closed(supervisor):
    def make(key, deadline, status):
        p, _ = report_problem(source_key=key, source_app="enrollment", category="x", title=key)
        Problem.objects.filter(pk=p.pk).update(deadline=deadline, status=status)
        return p.pk

    late = make("t:late", in_days(-1), Status.RECTIFYING)
    make("t:late-closed", in_days(-1), Status.CLOSED)
    make("t:today", in_days(0), Status.RECTIFYING)
    make("t:none", None, Status.OPEN)
    assert list(Problem.objects.filter(overdue()).values_list("pk", flat=True)) == [late]
    assert Problem.objects.get(pk=late).is_overdue
    summary = ledger_summary()
    counts = summary.by_status
    assert counts[Status.RECTIFYING] == 2 and counts[Status.CLOSED] == 1 and counts[Status.OPEN] == 1
    assert counts[Status.REOPENED] == 0 and summary.overdue == 1
