"""Uploading (spec/claims-upload.md, File and Acceptance): the formats, the limits read before the file is,
the same file twice, who may upload, and the original kept with its SHA-256."""

import hashlib
import io
import threading
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.errors import PermissionDenied, TooLarge, ValidationFailed
from settlement.checking.table import UnreadableFile
from settlement.models import Claim, ClaimBatch, ClaimLine
from settlement.services import DuplicateFile, upload_batch
from settlement.services import upload as upload_module
from tests.settlement.files import csv_bytes, json_bytes, line, xlsx_bytes

pytestmark = pytest.mark.usefixtures("english")

ROWS = [line("C001", 1, patient_name="张三"), line("C001", 2), line("C002", 1, department="儿科")]


def _stored(batch):
    assert batch.status == "reviewed", list(batch.errors.values_list("row", "column", "code", "detail"))
    return sorted(Claim.objects.filter(batch=batch).values_list("claim_no", "patient_name", "line_count", "total"))


@pytest.mark.parametrize("name, data, encoding", [
    ("claims.csv", csv_bytes(ROWS), "utf-8"),
    ("claims.csv", csv_bytes(ROWS, bom=True), "utf-8-sig"),
    ("claims.csv", csv_bytes(ROWS, encoding="gb18030"), "gb18030"),
    ("claims.txt", csv_bytes(ROWS, delimiter="\t"), "utf-8"),
    ("claims.xlsx", xlsx_bytes(ROWS), "xlsx"),
    ("claims.json", json_bytes(ROWS), "utf-8"),
    ("upload", csv_bytes(ROWS, encoding="gb18030"), "gb18030"),  # no extension: sniffed from the content
    ("upload", xlsx_bytes(ROWS), "xlsx"),
    ("upload", json_bytes(ROWS), "utf-8"),
])
def test_each_format_gives_the_same_claims(user_a, upload, name, data, encoding):
    batch = upload(user_a, data, name=name)
    assert batch.encoding == encoding
    assert _stored(batch) == [("C001", "张三", 2, 50), ("C002", "张三", 1, 25)]
    assert ClaimLine.objects.get(claim__claim_no="C002").department == "儿科"


def test_xlsx_numbers_and_dates_are_read_as_a_clerk_typed_them(user_a, upload):
    from datetime import date
    from decimal import Decimal

    row = line(admission_date=date(2026, 10, 8), service_date=date(2026, 10, 8), quantity=2, unit_price=Decimal("12.5"),
               amount=25, line_no=1)
    batch = upload(user_a, xlsx_bytes([{**row, "admission_date": date(2026, 10, 8), "service_date": date(2026, 10, 8),
                                        "quantity": 2, "unit_price": 12.5, "amount": 25, "line_no": 1}]),
                   name="c.xlsx")
    assert batch.status == "reviewed"
    assert ClaimLine.objects.get().unit_price == Decimal("12.50")


def test_the_original_file_is_kept_with_its_sha256(user_a, upload):
    data = csv_bytes(ROWS)
    batch = upload(user_a, data, name="十月.csv", period="2026-10")
    assert batch.sha256 == hashlib.sha256(data).hexdigest() and batch.size == len(data)
    assert batch.original_name == "十月.csv" and batch.period == "2026-10" and batch.provider.code == "H32019001"
    with batch.file.open("rb") as f:
        assert f.read() == data


def test_a_rejected_file_is_kept_with_its_report(user_a, upload):
    data = csv_bytes([line(quantity="0")])
    batch = upload(user_a, data)
    assert batch.status == "rejected" and batch.errors.count() == 1
    with batch.file.open("rb") as f:
        assert f.read() == data


def test_the_same_file_again_is_refused_naming_the_first_batch_whatever_its_state(user_a, upload):
    rejected = upload(user_a, csv_bytes([line(quantity="0")]))
    with pytest.raises(DuplicateFile) as caught:
        upload(user_a, csv_bytes([line(quantity="0")]), name="renamed.csv", period="2026-11")
    assert caught.value.batch == rejected and caught.value.status == 409
    assert caught.value.as_dict()["batch_id"] == rejected.pk and caught.value.code == "duplicate_file"
    assert ClaimBatch.objects.count() == 1


def test_the_same_file_from_another_provider_is_its_own(user_a, user_b, upload):
    assert upload(user_a, csv_bytes(ROWS)).status == "reviewed"
    assert upload(user_b, csv_bytes(ROWS)).status == "reviewed"


@pytest.mark.django_db(transaction=True)
def test_two_identical_uploads_at_once_one_is_taken_the_other_refused_by_the_constraint(
        provider_user, provider_a, monkeypatch):
    """Both requests pass every check and insert: the unique constraint, not a read before, decides. The
    first holds its transaction open until the second waits on it (its batch number's lock, or its insert)."""
    from core.providers import grant_provider_access

    grant_provider_access(user=provider_user, provider=provider_a, actor=None)
    data = csv_bytes(ROWS)
    real_record = upload_module.record

    def record_once_the_other_waits(*args, **kwargs):
        entry = real_record(*args, **kwargs)
        with connection.cursor() as cur:
            for _attempt in range(200):
                cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted "
                            "AND locktype IN ('transactionid', 'advisory')")
                if cur.fetchone()[0]:
                    break
                time.sleep(0.05)
        return entry

    monkeypatch.setattr(upload_module, "record", record_once_the_other_waits)
    outcomes = []

    def attempt():
        try:
            outcomes.append(upload_batch(actor=provider_user, file=SimpleUploadedFile("c.csv", data), period="2026-10"))
        except DuplicateFile as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    batches = [o for o in outcomes if isinstance(o, ClaimBatch)]
    refusals = [o for o in outcomes if isinstance(o, DuplicateFile)]
    assert len(batches) == 1 and len(refusals) == 1
    assert refusals[0].batch.pk == batches[0].pk
    assert ClaimBatch.objects.count() == 1


class Unreadable:
    """A 60 MB upload that must not be read."""

    name, size = "big.csv", 60 * 2**20

    def read(self, *args):
        raise AssertionError("the file was read")

    seek = chunks = read


def test_a_file_over_50_mb_is_refused_before_it_is_read(user_a):
    with pytest.raises(TooLarge) as caught:
        upload_batch(actor=user_a, file=Unreadable(), period="2026-10")
    assert caught.value.status == 413 and caught.value.code == "too_large"
    assert str(caught.value.message) == "The file is 60.0 MB; the limit is 50 MB: split it into several files."
    assert not ClaimBatch.objects.exists()


class CountingFile(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


def _too_many(limit, data):
    from settlement.checking.limits import inspect_upload

    f = CountingFile(data)
    with pytest.raises(TooLarge) as caught:
        inspect_upload(f, name="x", size=len(data), max_bytes=len(data) + 1, max_lines=limit)
    assert caught.value.code == "too_many_lines" and caught.value.status == 413
    return f.read_bytes


def test_too_many_csv_lines_are_refused_before_the_whole_file_is_read():
    data = csv_bytes([line(f"C{i}", 1) for i in range(30_000)])
    read = _too_many(1000, data)
    assert read < len(data) / 2


def test_too_many_xlsx_rows_are_refused_before_the_whole_sheet_is_read():
    data = xlsx_bytes([line(f"C{i}", 1) for i in range(20_000)])
    _too_many(1000, data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # a sheet this size is decompressed in part only
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 4 * 2**20


def test_too_many_json_objects_are_refused():
    _too_many(100, json_bytes([line(f"C{i}", 1) for i in range(150)]))


def test_the_line_limit_counts_claim_lines_not_the_header(user_a, upload, monkeypatch):
    monkeypatch.setattr(upload_module, "MAX_LINES", 3)
    assert upload(user_a, csv_bytes(ROWS)).status == "reviewed"
    with pytest.raises(TooLarge):
        upload(user_a, csv_bytes([*ROWS, line("C9", 1)]))


@pytest.mark.parametrize("data, message", [
    (b'{"claim_no": "C1"}', "list of row objects"),
    (b'[["C1", "OUTPATIENT"]]', "Item 1 of the list is not an object"),
    (b'[{"claim_no": {"nested": 1}}]', "is a list or an object"),
    (b'[{"claim_no": "C1"},', "list of row objects"),
    (b'[{"claim_no": NaN}]', "list of row objects"),
])
def test_a_json_upload_that_is_not_a_list_of_objects_is_refused_with_its_message(user_a, data, message):
    with pytest.raises(UnreadableFile) as caught:
        upload_batch(actor=user_a, file=SimpleUploadedFile("c.json", data), period="2026-10")
    assert caught.value.status == 400 and caught.value.code == "invalid_json"
    assert message in str(caught.value.message)
    assert not ClaimBatch.objects.exists()


@pytest.mark.parametrize("name, data, code", [
    ("c.csv", "claim_no\n张三".encode("utf-16-le"), "nul_byte"),
    ("c.csv", b"claim_no\n\xff\xfe\xff", "encoding"),
    ("c.xlsx", b"PK\x03\x04 not really a zip", "damaged_workbook"),
    ("c.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "unsupported_format"),
    ("c.csv", b"", "empty_file"),
])
def test_a_file_that_cannot_be_read_as_claims_is_refused(user_a, name, data, code):
    with pytest.raises(UnreadableFile) as caught:
        upload_batch(actor=user_a, file=SimpleUploadedFile(name, data), period="2026-10")
    assert caught.value.code == code and caught.value.status == 400


@pytest.mark.parametrize("period", ["2026-13", "202610", "2026-1", "", "October"])
def test_the_period_is_a_month(user_a, period):
    with pytest.raises(ValidationFailed):
        upload_batch(actor=user_a, file=SimpleUploadedFile("c.csv", csv_bytes(ROWS)), period=period)


def test_a_provider_may_upload_several_batches_for_one_period(user_a, upload):
    assert upload(user_a, csv_bytes([line("C1", 1)])).status == "reviewed"
    assert upload(user_a, csv_bytes([line("C2", 1)])).status == "reviewed"  # late claims, 补报


def test_an_inactive_providers_upload_is_refused_clearly(user_a, provider_a):
    provider_a.active = False
    provider_a.save(update_fields=["active"])
    with pytest.raises(PermissionDenied) as caught:
        upload_batch(actor=user_a, file=SimpleUploadedFile("c.csv", csv_bytes(ROWS)), period="2026-10")
    assert caught.value.code == "provider_inactive" and "is not an active designated provider" in caught.value.message


def test_a_provider_user_with_no_provider_gets_a_clear_403(provider_user):
    with pytest.raises(PermissionDenied) as caught:
        upload_batch(actor=provider_user, file=SimpleUploadedFile("c.csv", csv_bytes(ROWS)), period="2026-10")
    assert caught.value.code == "no_provider" and caught.value.status == 403
    assert "not linked to a provider" in caught.value.message


def test_office_staff_do_not_upload(auditor_a, clerk):
    for user in (auditor_a, clerk):
        with pytest.raises(PermissionDenied):
            upload_batch(actor=user, file=SimpleUploadedFile("c.csv", csv_bytes(ROWS)), period="2026-10")


def test_the_upload_is_audited(user_a, upload):
    from core.models import AuditEntry

    batch = upload(user_a, csv_bytes(ROWS))
    actions = list(AuditEntry.objects.filter(object_id=str(batch.pk)).order_by("seq").values_list("action", "actor_name"))
    assert actions == [("settlement.claimbatch.received", user_a.username), ("settlement.claimbatch.accepted", "system"),
                       ("settlement.claimbatch.reviewed", "system")]


@pytest.mark.parametrize("tweak, rows", [
    (lambda data: data, [2, 3, 4]),  # regular: PostgreSQL's COPY parses it
    (lambda data: data.replace(b"\r\n", b"\r\n\r\n", 2), [3, 5, 6]),  # blank lines (rows 2 and 4): read in Python
    (lambda data: data.replace(b"\r\n", b",extra\r\n", 2), [2, 3, 4]),  # a ragged row
    (lambda data: data + b"\\.\r\n" + data.split(b"\r\n", 1)[1], None),  # COPY would stop at its end marker
    (lambda data: data + b'C003,"OUTPATIENT\r\n"\r\n', None),  # a quoted field across lines
])
def test_every_way_of_reading_a_csv_gives_the_same_rows(user_a, upload, tweak, rows):
    data = csv_bytes([line("C001", 1, patient_name=" 张三\u3000"), line("C001", 2), line("C002", 1, department="儿科")])
    batch = upload(user_a, tweak(data))
    if rows is None:  # a row 5 that is not a claim line: reported there, nothing after it lost or misread
        assert batch.status == "rejected" and 5 in batch.errors.values_list("row", flat=True)
        assert batch.line_count in (4, 7)
        return
    assert _stored(batch) == [("C001", "张三", 2, 50), ("C002", "张三", 1, 25)]
    assert list(ClaimLine.objects.order_by("row").values_list("row", flat=True)) == rows


def test_a_value_over_the_length_limit_is_refused_naming_its_row(user_a, upload):
    batch = upload(user_a, csv_bytes([line(), line("C2", item_name="药" * 1001)]))
    assert batch.status == "rejected"
    error = batch.errors.get()
    assert (error.code, error.detail["reason"]) == ("unreadable", "field_too_long") and "Line 3" in error.detail["message"]


def test_a_regular_csv_is_parsed_by_copy_and_an_irregular_one_read_row_by_row(db):
    from settlement.checking import sql
    from settlement.checking.fastcsv import copy_csv

    data = csv_bytes(ROWS, encoding="gb18030")
    with connection.cursor() as cur:
        cur.execute(sql.CREATE_STAGE)
        headers, rows = copy_csv(cur, io.BytesIO(data), encoding="gb18030", max_field=1000)
        assert rows == 3 and headers["claim_no"] == "claim_no"
        cur.execute(f"SELECT row_no, claim_no, patient_name FROM {sql.STAGE} ORDER BY row_no")
        assert cur.fetchall() == [(2, "C001", "张三"), (3, "C001", "张三"), (4, "C002", "张三")]
        for irregular in (data.replace(b"\r\n", b"\r\n\r\n", 1), data + b"\\.\r\n", data.replace(b"\r\n", b",x\r\n", 2)):
            assert copy_csv(cur, io.BytesIO(irregular), encoding="gb18030", max_field=1000) is None
        assert copy_csv(cur, io.BytesIO(data), encoding="gb18030", max_field=3) is None  # a value over the limit
        cur.execute(f"SELECT count(*) FROM {sql.STAGE}")
        assert cur.fetchone()[0] == 3  # nothing staged by the refused attempts


def test_json_numbers_and_booleans_are_read_as_a_clerk_would_type_them(user_a, upload):
    import json

    row = {**line(), "line_no": 1, "quantity": 2, "unit_price": 12.5, "amount": 25.0, "emergency": True,
           "days_supply": 3, "referral_no": None}
    batch = upload(user_a, json.dumps([row]).encode(), name="c.json")
    assert batch.status == "reviewed", list(batch.errors.values_list("column", "code", "value"))
    claim_line = ClaimLine.objects.get()
    assert (claim_line.line_no, claim_line.days_supply, str(claim_line.unit_price)) == ("1", 3, "12.50")
    assert claim_line.claim.emergency is True and claim_line.claim.referral_no == ""
