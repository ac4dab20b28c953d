"""No write loop per row: removing persons (减员) and the overdue-case job cost the same number of
queries for 2 rows as for 20, and still write every row's history and audit entry."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry
from core.system import system_user
from enrollment.kinds import spec_for
from enrollment.models import Application, Person, PersonStatus, StatusChange
from enrollment.services import applications as svc
from supervision.models import Problem
from tests.factories import PersonFactory, make_id_number

pytestmark = pytest.mark.django_db
Kind, Status = Application.Kind, Application.Status
EFFECTIVE = date(2026, 12, 31)


def staff(n: int, employer, first_birth: date) -> list[Person]:
    """n employees with distinct identity numbers (one birth date each)."""
    return [PersonFactory(id_number=make_id_number(first_birth + timedelta(days=i)), insurance_type="EMP",
                          employer_code=employer.uscc) for i in range(n)]


def approved_removal(n: int, *, clerk, reviewer, employer, first_birth: date) -> Application:
    staff_ = staff(n, employer, first_birth)
    app = svc.create_application(actor=clerk, kind=Kind.REMOVE_PERSONS, applicant_name="张经办",
                                 employer_code=employer.uscc, effective_date=EFFECTIVE,
                                 payload={"id_numbers": [p.id_number for p in staff_]},
                                 provided=list(spec_for(Kind.REMOVE_PERSONS).checklist))
    svc.submit_application(actor=clerk, application=app)
    svc.start_review(actor=reviewer, application=app)
    return app


def test_removing_20_persons_costs_the_queries_of_removing_2(clerk, reviewer, employer, django_assert_num_queries):
    few = approved_removal(2, clerk=clerk, reviewer=reviewer, employer=employer, first_birth=date(1970, 1, 1))
    many = approved_removal(20, clerk=clerk, reviewer=reviewer, employer=employer, first_birth=date(1980, 1, 1))
    with CaptureQueriesContext(connection) as approving_few:  # approval applies the removal too
        svc.approve_application(actor=reviewer, application=few)
    with django_assert_num_queries(len(approving_few.captured_queries)):
        svc.approve_application(actor=reviewer, application=many)

    removed = Person.objects.filter(id_number__in=many.payload["id_numbers"])
    assert {(p.status, p.status_date, p.version) for p in removed} == {(PersonStatus.TERMINATED, EFFECTIVE, 2)}
    assert StatusChange.objects.filter(person__in=removed, status=PersonStatus.TERMINATED, status_date=EFFECTIVE,
                                       reference=many.number).count() == 20
    entries = AuditEntry.objects.filter(action="enrollment.person.changed", object_type="enrollment.person",
                                        object_id__in=[str(p.pk) for p in removed])
    assert entries.count() == 20
    entry = entries.first()
    assert entry.before["status"] == "ACTIVE" and entry.after == {
        "status": "TERMINATED", "status_date": EFFECTIVE.isoformat(), "source": "APPLICATION",
        "reference": many.number}


def test_transferring_out_ends_the_insurance_with_its_history_and_audit(clerk, reviewer, employer):
    person = PersonFactory(insurance_type="EMP", employer_code=employer.uscc)
    app = svc.create_application(actor=clerk, kind=Kind.TRANSFER_OUT, applicant_name=person.name,
                                 person_id_number=person.id_number, effective_date=EFFECTIVE,
                                 payload={"to_region": "广东省深圳市"},
                                 provided=list(spec_for(Kind.TRANSFER_OUT).checklist))
    svc.submit_application(actor=clerk, application=app)
    svc.start_review(actor=reviewer, application=app)
    svc.approve_application(actor=reviewer, application=app)  # and registers
    person.refresh_from_db()
    assert (person.status, person.status_date) == (PersonStatus.TERMINATED, EFFECTIVE)
    assert person.status_changes.filter(status=PersonStatus.TERMINATED, reference=app.number).exists()
    assert AuditEntry.objects.filter(action="enrollment.person.changed", object_id=str(person.pk)).count() == 1


def overdue_cases(n: int, clerk, due: date) -> list[Application]:
    start = Application.objects.count()
    return Application.objects.bulk_create([
        Application(number=f"ENR-T-{start + i:05d}", kind=Kind.CHANGE_INFO, status=Status.SUBMITTED,
                    applicant_name="经办人", created_by=clerk, due_date=due) for i in range(n)])


def test_the_overdue_job_costs_the_same_queries_for_2_cases_and_for_20(clerk, django_assert_num_queries):
    night, today = system_user(), date(2026, 11, 27)
    overdue_cases(2, clerk, today - timedelta(days=1))
    with CaptureQueriesContext(connection) as few:
        assert svc.report_overdue_applications(today, actor=night) == 2
    cases = overdue_cases(20, clerk, today - timedelta(days=3))
    overdue_cases(3, clerk, today)  # due today: not overdue yet
    with django_assert_num_queries(len(few.captured_queries)):
        assert svc.report_overdue_applications(today, actor=night) == 20
    assert svc.report_overdue_applications(today, actor=night) == 0  # each case once

    linked = Application.objects.filter(pk__in=[c.pk for c in cases])
    problems = {p.pk: p for p in Problem.objects.filter(pk__in=linked.values("overdue_problem_id"))}
    assert len(problems) == 20 and {p.raised_by.username for p in problems.values()} == {"system"}
    assert {p.source_key for p in problems.values()} == {f"enrollment.application:{c.pk}:overdue" for c in cases}
    reported = AuditEntry.objects.filter(action="enrollment.application.overdue_reported")
    assert reported.count() == 22 and {e.actor_name for e in reported} == {"system"}
