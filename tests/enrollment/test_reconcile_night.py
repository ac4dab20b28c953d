"""One night, one path: the beat job, a run requested from the page (the worker's task) and the
command all go through enrollment.services.reconciliation.reconcile_night, which reconciles, issues
each run's report, then escalates what stayed open too long, as the system user."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, LetterRecord
from core.system import system_user
from enrollment.models import Discrepancy, ReconciliationRun
from enrollment.reconciliation.engine import reconcile_file
from enrollment.reconciliation.nightly import Delivered
from enrollment.reconciliation.report import KIND
from enrollment.services.reconciliation import escalate_aged, reconcile_night, source_key
from supervision.models import Problem
from tests.factories import PersonFactory

from .extracts import number, person_values, row, write

pytestmark = pytest.mark.django_db

A, B = number("32010219800101001"), number("32010219850615002")
FIRST = date(2026, 11, 1)
LATER = FIRST + timedelta(days=14)  # DISCREPANCY_ESCALATE_AFTER_DAYS


@pytest.fixture
def aged(tmp_path):
    """A discrepancy first seen 14 days before LATER, and LATER's extract (still showing it) in the drop folder."""
    PersonFactory(**person_values(A))
    PersonFactory(**person_values(B))
    rows = [row(A), row(B, status="SUSPENDED", status_date="2026-10-01")]
    reconcile_file(write(tmp_path / "first.csv", rows), run_date=FIRST, actor=system_user())
    return write(tmp_path / "agency" / f"enrollment-{LATER:%Y%m%d}.csv", rows)


def escalated() -> set[str]:
    return set(Problem.objects.values_list("source_key", flat=True))


def expect_the_whole_night(actor_name: str) -> None:
    run = ReconciliationRun.objects.get(run_date=LATER)
    assert run.status == ReconciliationRun.Status.SUCCEEDED
    assert LetterRecord.objects.filter(kind=KIND, object_id=str(run.pk)).count() == 1
    assert escalated() == {source_key(d.pk) for d in Discrepancy.objects.filter(closed_on__isnull=True)}
    assert {p.raised_by.username for p in Problem.objects.all()} == {"system"}
    started = AuditEntry.objects.filter(action="enrollment.reconciliation.started", object_id=str(run.pk)).get()
    assert started.actor_name == actor_name


def test_the_beat_job_reconciles_reports_and_escalates(aged, settings):
    from enrollment.tasks import reconcile_pending_extracts

    assert reconcile_pending_extracts.delay().get() == {LATER.isoformat(): "SUCCEEDED"}
    expect_the_whole_night("system")


def test_a_run_requested_from_the_page_reconciles_reports_and_escalates(aged, reviewer):
    from enrollment.tasks import reconcile_extract

    result = reconcile_extract.delay(str(aged), LATER.isoformat(), reviewer.pk).get()
    assert result["status"] == "SUCCEEDED" and result["counts"]["FIELD_MISMATCH"] == 2
    expect_the_whole_night(reviewer.username)


def test_the_command_reconciles_reports_and_escalates(aged):
    call_command("reconcile_enrollment", "--file", str(aged), stdout=StringIO())
    expect_the_whole_night("system")


def test_a_discrepancy_is_escalated_once_however_often_the_night_runs(aged):
    reconcile_night(actor=system_user(), extracts=[Delivered(LATER, aged)])
    raised = escalated()
    assert len(raised) == 2
    again = write(aged.parent / f"enrollment-{LATER + timedelta(days=1):%Y%m%d}.csv",
                  [row(A), row(B, status="SUSPENDED", status_date="2026-10-01")])
    reconcile_night(actor=system_user(), extracts=[Delivered(LATER + timedelta(days=1), again)])
    assert escalated() == raised and Problem.objects.filter(times_reported=1).count() == 2


def test_nothing_younger_than_the_limit_is_escalated(aged):
    assert escalate_aged(actor=system_user(), on=LATER - timedelta(days=1)) == 0
    assert not Problem.objects.exists()


def test_escalating_costs_the_same_queries_for_2_discrepancies_and_for_20(tmp_path, django_assert_num_queries):
    def plant(n: int, first: date) -> None:
        numbers = [number(f"3201021980{first.month:02d}{i:02d}{n:03d}"[:17]) for i in range(1, n + 1)]
        for id_number in numbers:
            PersonFactory(**person_values(id_number))
        reconcile_file(write(tmp_path / f"{first}.csv", [row(x, name="李四") for x in numbers]), run_date=first,
                       actor=system_user())

    def waiting() -> int:
        return Discrepancy.objects.filter(closed_on__isnull=True, problem_id__isnull=True).count()

    night = system_user()
    plant(2, date(2026, 9, 1))
    with CaptureQueriesContext(connection) as few:
        assert escalate_aged(actor=night, on=date(2026, 9, 20)) == 2
    plant(20, date(2026, 10, 1))  # 20 new ones (and the first two, missing at the agency now)
    expected = waiting()
    assert expected >= 20
    with django_assert_num_queries(len(few.captured_queries)):
        assert escalate_aged(actor=night, on=date(2026, 10, 20)) == expected
    assert waiting() == 0
