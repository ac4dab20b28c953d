"""Each provider numbers its own batches (1, 2, …): a provider's numbers never show that other providers
upload, a refused upload takes no number, and two uploads at once get two numbers."""

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.providers import grant_provider_access
from settlement.checking.messages import error_message
from settlement.models import ClaimBatch
from settlement.services import DuplicateFile, upload_batch
from settlement.services import upload as upload_module
from tests.settlement.files import csv_bytes, line

pytestmark = pytest.mark.usefixtures("english_pages")


def test_two_providers_first_batches_are_both_number_1_of_their_own(client_for, user_a, user_b, upload):
    a1 = upload(user_a, csv_bytes([line("A1")]))
    b1 = upload(user_b, csv_bytes([line("B1")]))
    a2 = upload(user_a, csv_bytes([line("A2")]))
    assert [(b.number, b.label) for b in (a1, b1, a2)] == [
        (1, "H32019001-0001"), (1, "H32019002-0001"), (2, "H32019001-0002")]
    page = client_for(user_b).get(reverse("settlement:batch_detail", args=[b1.pk])).content.decode()
    assert "Batch H32019002-0001" in page
    body = client_for(user_b).get(f"/api/v1/settlement/batches/{b1.pk}/").json()
    assert (body["id"], body["number"], body["label"]) == (b1.pk, 1, "H32019002-0001")  # the API's id stays the key


def test_a_refused_duplicate_takes_no_number(user_a, upload):
    first = upload(user_a, csv_bytes([line("A1")]))
    with pytest.raises(DuplicateFile) as refused:
        upload_batch(actor=user_a, file=SimpleUploadedFile("again.csv", csv_bytes([line("A1")])), period="2026-10")
    assert "batch H32019001-0001 " in refused.value.message
    assert upload(user_a, csv_bytes([line("A2")])).number == first.number + 1 == 2


@pytest.mark.django_db(transaction=True)
def test_two_uploads_at_once_get_the_next_two_numbers(provider_user, provider_a, monkeypatch):
    """The first holds its transaction open until the second waits for the provider's number lock."""
    grant_provider_access(user=provider_user, provider=provider_a, actor=None)
    real_record = upload_module.record
    waited = []

    def record_once_the_other_waits(*args, **kwargs):
        entry = real_record(*args, **kwargs)
        with connection.cursor() as cur:
            for _attempt in range(200):
                cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'advisory'")
                if cur.fetchone()[0]:
                    waited.append(True)
                    break
                time.sleep(0.05)
        return entry

    monkeypatch.setattr(upload_module, "record", record_once_the_other_waits)
    outcomes = []

    def attempt(claim_no):
        try:
            outcomes.append(upload_batch(actor=provider_user, period="2026-10",
                                         file=SimpleUploadedFile("c.csv", csv_bytes([line(claim_no)]))))
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(f"C{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(o.number for o in outcomes if isinstance(o, ClaimBatch)) == [1, 2], outcomes
    assert waited and sorted(ClaimBatch.objects.values_list("number", flat=True)) == [1, 2]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_batches_per_provider_in_upload_order(provider_user):
    old = _migrate([("settlement", "0005_claim_money")])
    Provider = old.get_model("core", "Provider")
    Batch = old.get_model("settlement", "ClaimBatch")
    a = Provider.objects.create(code="H1", name="第一医院", level=3, area="LOCAL")
    b = Provider.objects.create(code="H2", name="第二医院", level=2, area="LOCAL")
    made = [Batch.objects.create(provider=p, period="2026-10", status="accepted", file=f"t/{n}.csv",
                                 original_name="t.csv", sha256=f"{n:064d}", size=1, file_format="csv",
                                 uploaded_by_id=provider_user.pk) for n, p in enumerate((a, b, a, a), start=1)]
    refused = Batch.objects.create(provider=a, period="2026-11", status="rejected", file="t/9.csv",
                                   original_name="t.csv", sha256=f"{9:064d}", size=1, file_format="csv",
                                   uploaded_by_id=provider_user.pk)
    old.get_model("settlement", "BatchError").objects.create(
        batch=refused, row=2, column="claim_no", code="claim_no_accepted", value="C1",
        detail={"batch": made[2].pk, "period": "2026-10"})
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    numbers = dict(ClaimBatch.objects.values_list("pk", "number"))
    assert [numbers[m.pk] for m in made] + [numbers[refused.pk]] == [1, 1, 2, 3, 4]
    error = ClaimBatch.objects.get(pk=refused.pk).errors.get()
    assert "already accepted in batch H1-0002 (period 2026-10)" in error_message(
        error.code, error.column, error.value, error.detail)
