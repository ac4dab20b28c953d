"""The check as a job: one transaction, idempotent by data, safe to kill midway, and set-based."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from core.system import system_user
from settlement.models import BatchError, Claim, ClaimBatch, ClaimLine
from settlement.services import check_batch, upload_batch
from settlement.services import checking as checking_module
from settlement.tasks import check_batch_task, recheck_received_batches
from tests.settlement.files import csv_bytes, inpatient, line, many_lines


@pytest.fixture
def received(user_a):
    """A batch uploaded but not yet checked (the task is sent on commit; these tests call the service)."""

    def make(rows):
        return upload_batch(actor=user_a, file=SimpleUploadedFile("c.csv", csv_bytes(rows)), period="2026-10")

    return make


def test_an_accepted_batch_has_its_claims_lines_counts_and_totals(received):
    batch = check_batch(batch=received([line("C2", 2, quantity="1", unit_price="0.10", amount="0.10"),
                                        line("C2", 10), line("C2", 1), inpatient("I1", 1)]))
    assert batch.status == "accepted"
    assert (batch.line_count, batch.claim_count, batch.total_claimed) == (4, 2, Decimal("75.10"))
    claim = Claim.objects.get(claim_no="C2")
    assert (claim.line_count, claim.total, claim.first_row, claim.provider_id) == (3, Decimal("50.10"), 2,
                                                                                  batch.provider_id)
    # Lines in line_no order, numerically: 1, 2, 10 (the rules take "the last lines" by position).
    assert list(claim.lines.order_by("position").values_list("line_no", "position", "row")) == [
        ("1", 1, 4), ("2", 2, 2), ("10", 3, 3)]
    assert Claim.objects.get(claim_no="I1").discharge_date.isoformat() == "2026-10-06"


def test_checking_again_changes_nothing(received):
    batch = received([line("C1", 1), line("C2", 1)])
    check_batch(batch=batch)
    entries = AuditEntry.objects.count()
    again = check_batch(batch=batch)
    assert again.status == "accepted" and again.version == 2
    assert Claim.objects.count() == 2 and ClaimLine.objects.count() == 2
    assert AuditEntry.objects.count() == entries


def test_a_check_killed_midway_leaves_the_batch_received_and_the_next_attempt_starts_again(received, monkeypatch):
    batch = received([line("C1", 1), line("C1", 2), line("C2", 1)])

    class WorkerLost(BaseException):  # what a killed worker leaves: nothing after this point runs
        pass

    def die(*args, **kwargs):
        raise WorkerLost()

    monkeypatch.setattr(checking_module, "transition", die)  # the claims and lines are in, then it dies
    with pytest.raises(WorkerLost):
        check_batch(batch=batch)
    batch.refresh_from_db()
    assert batch.status == "received" and batch.version == 1
    assert not Claim.objects.exists() and not ClaimLine.objects.exists()
    monkeypatch.undo()
    assert check_batch(batch=batch).status == "accepted"
    assert Claim.objects.count() == 2 and ClaimLine.objects.count() == 3  # nothing twice


def test_a_rejected_check_killed_midway_leaves_no_error_twice(received, monkeypatch):
    batch = received([line("C1", 1, quantity="0")])
    monkeypatch.setattr(checking_module, "transition", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        check_batch(batch=batch)
    assert not BatchError.objects.exists()
    monkeypatch.undo()
    assert check_batch(batch=batch).status == "rejected"
    assert BatchError.objects.count() == 1


def test_the_task_takes_an_id_and_reports_the_status(received):
    batch = received([line()])
    assert check_batch_task(batch.pk) == "reviewed"
    assert check_batch_task(batch.pk) == "reviewed"
    assert check_batch_task(10**9) == "missing"


def test_batches_left_received_are_checked_again(received, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    stalled, fresh = received([line("C1")]), received([line("C2")])
    ClaimBatch.objects.filter(pk=stalled.pk).update(uploaded_at=timezone.now() - timedelta(hours=1))
    assert recheck_received_batches() == 1  # eager in the tests: checked at once
    assert ClaimBatch.objects.get(pk=stalled.pk).status == "reviewed"
    assert ClaimBatch.objects.get(pk=fresh.pk).status == "received"


def test_a_claim_no_in_two_batches_checked_one_after_the_other_is_accepted_once(received):
    first, second = received([line("C1", 1)]), received([line("C1", 1, quantity="1", amount="12.50")])
    assert check_batch(batch=second).status == "accepted"
    assert check_batch(batch=first).status == "rejected"
    assert BatchError.objects.get(batch=first).code == "claim_no_accepted"


def test_the_check_is_set_based_its_queries_do_not_grow_with_the_lines(received, django_assert_max_num_queries):
    small, big = received(many_lines(2, 2, "S")), received(many_lines(300, 5, "B"))
    system_user()  # created on first use: not part of what is counted
    with django_assert_max_num_queries(45) as small_queries:
        check_batch(batch=small)
    with django_assert_max_num_queries(45) as big_queries:
        check_batch(batch=big)
    assert len(big_queries.captured_queries) == len(small_queries.captured_queries)
    assert ClaimLine.objects.count() == 4 + 1500


def test_a_rejected_batch_is_checked_with_a_fixed_number_of_queries(received, django_assert_max_num_queries):
    small = received([line("S1", 1, quantity="0")])
    big = received([line(f"B{i}", 1, quantity="0", visit_type="X") for i in range(400)])
    system_user()
    with django_assert_max_num_queries(45) as small_queries:
        check_batch(batch=small)
    with django_assert_max_num_queries(45) as big_queries:
        check_batch(batch=big)
    assert len(big_queries.captured_queries) == len(small_queries.captured_queries)
    assert BatchError.objects.filter(batch=big).count() == 800
