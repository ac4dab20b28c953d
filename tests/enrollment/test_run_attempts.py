"""Issue 14, item 9: a rejected extract for a date that already succeeded is recorded as a try beside
the run and leaves the successful run as it was; a data date in the future is refused by the page,
the command, the task and the service, before anything is recorded."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from core.errors import ValidationFailed
from core.models import AuditEntry
from core.system import system_user
from enrollment.models import ReconciliationRun
from enrollment.reconciliation.engine import reconcile_file
from enrollment.reconciliation.extract import ExtractRejected
from enrollment.reconciliation.nightly import Delivered, pending
from enrollment.services.reconciliation import reconcile_night, request_run
from tests.factories import PersonFactory

from .extracts import number, person_values, row, write

pytestmark = pytest.mark.django_db

A = number("32010219800101001")
Status = ReconciliationRun.Status
FIELDS = ("status", "file_name", "file_sha256", "file_size", "rows", "invalid_rows", "opened", "closed", "counts",
          "error", "finished_at")


@pytest.fixture
def succeeded(tmp_path):
    """A date reconciled successfully: its run, as the page shows it."""
    PersonFactory(**person_values(A))
    day = timezone.localdate() - timedelta(days=1)
    reconcile_file(write(tmp_path / "good.csv", [row(A, paid_through="2026-08")]), run_date=day, actor=system_user())
    return ReconciliationRun.objects.get(run_date=day)


def snapshot(run: ReconciliationRun) -> dict:
    run.refresh_from_db()
    return {f: getattr(run, f) for f in FIELDS}


def test_a_rejected_extract_for_a_date_that_succeeded_is_a_try_beside_the_run_which_stays_as_it_was(
        succeeded, tmp_path, reviewer):
    before = snapshot(succeeded)
    bad = write(tmp_path / "bad.csv", [row(A)], trailer=7)  # the trailer's count is wrong
    with pytest.raises(ExtractRejected):
        reconcile_file(bad, run_date=succeeded.run_date, actor=reviewer)
    assert snapshot(succeeded) == before
    assert succeeded.status == Status.SUCCEEDED and succeeded.attempts == 2
    tries = list(succeeded.attempt_rows.order_by("number").values_list("number", "status", "file_name"))
    assert tries == [(1, Status.SUCCEEDED, "good.csv"), (2, Status.REJECTED, "bad.csv")]
    rejected = succeeded.attempt_rows.get(number=2)
    assert rejected.error and len(rejected.file_sha256) == 64 and rejected.file_sha256 != before["file_sha256"]
    audited = AuditEntry.objects.get(action="enrollment.reconciliation.rejected", object_id=str(succeeded.pk))
    assert audited.after["run_kept"] is True and audited.after["sha256"] == rejected.file_sha256


def test_a_rejected_try_through_the_night_says_rejected_and_the_page_keeps_the_success(
        succeeded, tmp_path, clerk, client_for, settings):
    before = snapshot(succeeded)
    bad = write(tmp_path / "bad.csv", [row(A)], trailer=7)
    [done] = reconcile_night(actor=system_user(), extracts=[Delivered(succeeded.run_date, bad)])
    assert done.status == Status.REJECTED and done.rejection is not None
    assert snapshot(succeeded) == before
    client = client_for(clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("enrollment:run_detail", args=[succeeded.pk])).content.decode()
    assert '<span class="badge ok">Succeeded</span>' in page  # the kept run's SHA-256 is on its report, not the page
    assert "bad.csv" in page and "File rejected" in page  # the try, in the tries' table
    progress = client.get(reverse("enrollment:run_progress") + f"?date={succeeded.run_date}&after=1").content.decode()
    assert "File rejected" in progress and "The successful run of this date is kept as it was" in progress


def test_a_corrected_try_that_succeeds_replaces_the_figures(succeeded, tmp_path):
    reconcile_file(write(tmp_path / "fixed.csv", [row(A)]), run_date=succeeded.run_date, actor=system_user())
    succeeded.refresh_from_db()
    assert (succeeded.status, succeeded.file_name, succeeded.attempts) == (Status.SUCCEEDED, "fixed.csv", 2)
    assert succeeded.counts["FIELD_MISMATCH"] == 0


def test_a_rejected_first_try_is_the_runs_outcome_as_before(tmp_path):
    day = timezone.localdate() - timedelta(days=2)
    with pytest.raises(ExtractRejected):
        reconcile_file(write(tmp_path / "bad.csv", [row(A)], trailer=7), run_date=day, actor=system_user())
    run = ReconciliationRun.objects.get(run_date=day)
    assert run.status == Status.REJECTED and len(run.file_sha256) == 64
    assert run.attempt_rows.get().status == Status.REJECTED


# --- a data date in the future ----------------------------------------------------------------------

def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def test_the_engine_refuses_a_date_in_the_future_and_records_nothing(tmp_path):
    from enrollment.models import ReconciliationAttempt

    with pytest.raises(ValidationFailed) as refused:
        reconcile_file(write(tmp_path / "x.csv", [row(A)]), run_date=tomorrow(), actor=system_user())
    assert refused.value.code == "future_run_date"
    assert not ReconciliationRun.objects.exists() and not ReconciliationAttempt.objects.exists()


def test_the_page_refuses_a_date_in_the_future(reviewer, client_for, settings, monkeypatch):
    import enrollment.tasks

    calls = []
    monkeypatch.setattr(enrollment.tasks.reconcile_extract, "delay_on_commit", lambda *a: calls.append(a))
    name = f"enrollment-{tomorrow():%Y%m%d}.csv"
    write(Path(settings.AGENCY_DROP_DIR) / name, [row(A)])
    client = client_for(reviewer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("enrollment:run_start"), {"drop_file": name})
    assert response.status_code == 400 and "is in the future" in response.content.decode()
    response = client.post(reverse("enrollment:run_start"), {"drop_file": name,
                                                              "run_date": timezone.localdate().isoformat()})
    assert response.status_code == 302 and len(calls) == 1  # the same file, given today's date: accepted
    with pytest.raises(ValidationFailed):
        request_run(actor=reviewer, run_date=tomorrow(), drop_path=Path(settings.AGENCY_DROP_DIR) / name)
    assert len(calls) == 1


def test_the_command_refuses_a_date_in_the_future(tmp_path, english):
    path = write(tmp_path / "x.csv", [row(A)])
    with pytest.raises(CommandError, match="in the future"):
        call_command("reconcile_enrollment", file=path, date=tomorrow(), stdout=StringIO(), stderr=StringIO())
    assert not ReconciliationRun.objects.exists()


def test_the_task_refuses_a_date_in_the_future_without_retrying(tmp_path, english):
    from enrollment.tasks import reconcile_extract

    path = write(tmp_path / "x.csv", [row(A)])
    result = reconcile_extract.delay(str(path), tomorrow().isoformat()).get()
    assert result["status"] == "REFUSED" and "in the future" in result["error"]
    assert not ReconciliationRun.objects.exists()


def test_the_night_leaves_a_file_dated_after_today_for_its_day(settings):
    drop = Path(settings.AGENCY_DROP_DIR)
    write(drop / f"enrollment-{tomorrow():%Y%m%d}.csv", [row(A)])
    today = write(drop / f"enrollment-{timezone.localdate():%Y%m%d}.csv", [row(A)])
    assert [item.path for item in pending(drop)] == [today]
