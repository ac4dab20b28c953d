"""An extract older than the latest date reconciled is refused everywhere a run starts (the page, the
service, the engine, the command, the task, the night), before anything is recorded: run after a newer
night, it would close that night's discrepancies as gone and reopen them with their history restarted.
The latest date itself may be run again (a rejected try is recorded beside its run, as before). And a
run's history names the file of each try."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from core.errors import ValidationFailed
from core.models import AuditEntry
from core.system import system_user
from core.timeline import object_timeline
from enrollment.models import Discrepancy, ReconciliationAttempt, ReconciliationRun
from enrollment.reconciliation.engine import reconcile_file
from enrollment.reconciliation.extract import ExtractRejected
from enrollment.reconciliation.nightly import pending
from enrollment.services.reconciliation import request_run
from tests.factories import PersonFactory

from .extracts import number, person_values, row, write

pytestmark = pytest.mark.django_db

A = number("32010219800101001")
B = number("32010219800101002")
Status = ReconciliationRun.Status


def days_ago(n: int):
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def two_nights(tmp_path):
    """Two nights reconciled in order: B missing at the agency on both, A's payment differing on the later."""
    PersonFactory(**person_values(A))
    PersonFactory(**person_values(B, "李四"))
    reconcile_file(write(tmp_path / "older.csv", [row(A, paid_through="2026-10")]), run_date=days_ago(2),
                   actor=system_user())
    reconcile_file(write(tmp_path / "newer.csv", [row(A, paid_through="2026-08")]), run_date=days_ago(1),
                   actor=system_user())
    return ReconciliationRun.objects.get(run_date=days_ago(1))


def state():
    """Everything an older run would change: the runs, their tries, the discrepancies, the audit trail."""
    return (list(ReconciliationRun.objects.order_by("pk").values()),
            list(ReconciliationAttempt.objects.order_by("pk").values()),
            list(Discrepancy.objects.order_by("pk").values()), AuditEntry.objects.count())


def test_the_engine_refuses_an_extract_older_than_the_latest_date_reconciled_and_changes_nothing(
        two_nights, tmp_path, english):
    assert Discrepancy.objects.filter(status="OPEN").count() == 2  # B missing, A's paid_through differs
    before = state()
    older = write(tmp_path / "enrollment-older.csv", [row(A, paid_through="2026-10")])
    with pytest.raises(ValidationFailed) as refused:
        reconcile_file(older, run_date=days_ago(2), actor=system_user())
    assert refused.value.code == "stale_run_date"
    message = str(refused.value.message)
    assert days_ago(2).isoformat() in message and days_ago(1).isoformat() in message
    assert "earlier than" in message
    with pytest.raises(ValidationFailed):  # a date never run, but older, likewise
        reconcile_file(older, run_date=days_ago(5), actor=system_user())
    assert state() == before


def test_the_latest_date_may_be_run_again_and_a_rejected_try_is_kept_beside_it(two_nights, tmp_path):
    kept = ReconciliationRun.objects.values().get(pk=two_nights.pk)
    with pytest.raises(ExtractRejected):
        reconcile_file(write(tmp_path / "bad.csv", [row(A)], trailer=9), run_date=two_nights.run_date,
                       actor=system_user())
    assert ReconciliationRun.objects.values().get(pk=two_nights.pk) | {"attempts": 1} == kept
    assert list(two_nights.attempt_rows.order_by("number").values_list("status", flat=True)) == [
        Status.SUCCEEDED, Status.REJECTED]
    outcome = reconcile_file(write(tmp_path / "again.csv", [row(A, paid_through="2026-08")]),
                             run_date=two_nights.run_date, actor=system_user())
    assert outcome.run.status == Status.SUCCEEDED and outcome.run.attempts == 3


def test_the_page_refuses_an_older_file_and_says_why(two_nights, reviewer, client_for, settings,
                                                                     monkeypatch):
    import enrollment.tasks

    calls = []
    monkeypatch.setattr(enrollment.tasks.reconcile_extract, "delay_on_commit", lambda *a: calls.append(a))
    name = f"enrollment-{days_ago(2):%Y%m%d}.csv"
    write(Path(settings.AGENCY_DROP_DIR) / name, [row(A)])
    client = client_for(reviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("enrollment:run_start"), {"drop_file": name})
    assert response.status_code == 400
    [error] = response.context["form"].errors["run_date"]
    assert "is earlier than" in error and days_ago(1).isoformat() in error
    assert "is earlier than" in response.content.decode()
    response = client.post(reverse("enrollment:run_start"), {"drop_file": name,
                                                              "run_date": two_nights.run_date.isoformat()})
    assert response.status_code == 302 and len(calls) == 1  # the latest date itself: handed to the worker
    with pytest.raises(ValidationFailed):  # the service refuses it whoever calls it
        request_run(actor=reviewer, run_date=days_ago(2), drop_path=Path(settings.AGENCY_DROP_DIR) / name)
    assert len(calls) == 1


def test_the_command_refuses_an_older_extract(two_nights, tmp_path, english):
    before = state()
    path = write(tmp_path / f"enrollment-{days_ago(2):%Y%m%d}.csv", [row(A)])
    with pytest.raises(CommandError, match="earlier than"):
        call_command("reconcile_enrollment", file=path, stdout=StringIO(), stderr=StringIO())
    assert state() == before


def test_the_task_refuses_an_older_extract_without_retrying(two_nights, tmp_path, english):
    from enrollment.tasks import reconcile_extract

    before = state()
    path = write(tmp_path / "x.csv", [row(A)])
    result = reconcile_extract.delay(str(path), days_ago(2).isoformat()).get()
    assert result["status"] == "REFUSED" and "earlier than" in result["error"]
    assert state() == before


def test_the_night_leaves_an_extract_older_than_the_latest_date_alone(two_nights, settings):
    drop = Path(settings.AGENCY_DROP_DIR)
    write(drop / f"enrollment-{days_ago(3):%Y%m%d}.csv", [row(A)])  # delivered late: never run
    latest = write(drop / f"enrollment-{days_ago(1):%Y%m%d}.csv", [row(A)])
    today = write(drop / f"enrollment-{timezone.localdate():%Y%m%d}.csv", [row(A)])
    assert [item.path for item in pending(drop)] == [today]
    ReconciliationRun.objects.filter(pk=two_nights.pk).update(status=Status.FAILED)
    assert [item.path for item in pending(drop)] == [latest, today]  # the night before still bars the older


def test_a_runs_history_names_the_file_of_every_try(two_nights, tmp_path):
    reconcile_file(write(tmp_path / "enrollment-again.csv", [row(A, paid_through="2026-08")]),
                   run_date=two_nights.run_date, actor=system_user())
    with translation.override("en"):
        lines = [line["text"] for line in object_timeline(two_nights)
                 if line["action"] == "enrollment.reconciliation.started"]
    assert lines == ["The system started the reconciliation of the file enrollment-again.csv (attempt 2).",
                     "The system started the reconciliation of the file newer.csv (attempt 1)."]
