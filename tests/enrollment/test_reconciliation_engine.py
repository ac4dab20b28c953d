"""The nightly comparison, end to end on small files: every kind, the lifecycle, bad files."""

import threading
from datetime import date
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from core.errors import Conflict, PermissionDenied
from core.models import AuditEntry
from core.system import system_user
from enrollment.models import Discrepancy, ReconciliationRun
from enrollment.reconciliation.engine import LOCK, reconcile_file
from enrollment.reconciliation.extract import ExtractRejected
from tests.factories import PersonFactory

from .extracts import EMPLOYER, number, person_values, row, write

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

A = number("32010219800101001")  # the same on both sides
B = number("32010219850615002")  # status differs
C = number("32010219900101003")  # ours only: MISSING_AGENCY
D = number("32010219950505004")  # theirs only: MISSING_LOCAL
E = number("11010519491231002")  # ours, delivered with a lowercase x or digits: still matched
NIGHT1, NIGHT2, NIGHT3 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)


@pytest.fixture
def register():
    for id_number in (A, B, C):
        PersonFactory(**person_values(id_number))
    return {p: p for p in (A, B, C)}


def open_set():
    return set(Discrepancy.objects.filter(closed_on__isnull=True).values_list("kind", "id_number", "field"))


def planted_rows():
    broken = A[:-1] + ("0" if A[-1] != "0" else "1")  # wrong check character
    return [
        row(A),
        row(B, status="SUSPENDED", status_date="2026-09-01"),
        row(D, name="李四"),
        row(broken, name="王五"),
    ]


def test_every_kind_is_found_on_a_planted_file(register, tmp_path):
    path = write(tmp_path / "enrollment-20261120.csv", planted_rows())
    outcome = reconcile_file(path, run_date=NIGHT1, actor=system_user())
    broken = A[:-1] + ("0" if A[-1] != "0" else "1")
    assert open_set() == {
        ("FIELD_MISMATCH", B, "status"), ("FIELD_MISMATCH", B, "status_date"),
        ("MISSING_AGENCY", C, ""), ("MISSING_LOCAL", D, ""), ("INVALID_ROW", broken, ""),
    }
    assert outcome.counts == {"MISSING_LOCAL": 1, "MISSING_AGENCY": 1, "FIELD_MISMATCH": 2, "INVALID_ROW": 1}
    status = Discrepancy.objects.get(id_number=B, field="status")
    assert (status.our_value, status.agency_value) == ("ACTIVE", "SUSPENDED")
    invalid = Discrepancy.objects.get(kind="INVALID_ROW")
    assert invalid.reason == "id_number:check" and invalid.line_no == 5
    run = ReconciliationRun.objects.get(run_date=NIGHT1)
    assert run.status == "SUCCEEDED" and run.rows == 4 and run.invalid_rows == 1 and len(run.file_sha256) == 64
    assert AuditEntry.objects.filter(action="enrollment.reconciliation.succeeded").count() == 1


def test_the_same_night_twice_changes_nothing_and_a_later_night_counts_on(register, tmp_path):
    path = write(tmp_path / "x.csv", planted_rows())
    reconcile_file(path, run_date=NIGHT1, actor=system_user())
    first = {(d.kind, d.id_number, d.field): (d.pk, d.nights_seen) for d in Discrepancy.objects.all()}
    reconcile_file(path, run_date=NIGHT1, actor=system_user())
    assert {(d.kind, d.id_number, d.field): (d.pk, d.nights_seen) for d in Discrepancy.objects.all()} == first
    assert ReconciliationRun.objects.get(run_date=NIGHT1).attempts == 2
    reconcile_file(path, run_date=NIGHT2, actor=system_user())
    for d in Discrepancy.objects.all():
        assert (d.pk, d.nights_seen, d.first_seen, d.last_seen) == (first[(d.kind, d.id_number, d.field)][0], 2,
                                                                    NIGHT1, NIGHT2)


def test_a_difference_that_is_gone_closes_itself_with_the_date(register, tmp_path):
    reconcile_file(write(tmp_path / "1.csv", planted_rows()), run_date=NIGHT1, actor=system_user())
    fixed = [row(A), row(B), row(C), row(D, name="李四")]  # B agrees now, C delivered, no broken row
    outcome = reconcile_file(write(tmp_path / "2.csv", fixed), run_date=NIGHT2, actor=system_user())
    assert open_set() == {("MISSING_LOCAL", D, "")}
    closed = Discrepancy.objects.filter(closed_on=NIGHT2, close_reason="GONE")
    assert closed.count() == 4 and outcome.run.closed == 4 and outcome.run.opened == 0


def test_what_is_gone_is_closed_by_the_system_through_the_transitions_table_and_audited(register, tmp_path):
    reconcile_file(write(tmp_path / "1.csv", planted_rows()), run_date=NIGHT1, actor=system_user())
    before = {d.pk: (d.status, d.version) for d in Discrepancy.objects.all()}
    reconcile_file(write(tmp_path / "2.csv", [row(A), row(B), row(C), row(D, name="李四")]), run_date=NIGHT2,
                   actor=system_user())
    gone = Discrepancy.objects.filter(close_reason="GONE")
    assert {(d.status, d.version) for d in gone} == {("CLOSED", before[d.pk][1] + 1) for d in gone}
    entries = AuditEntry.objects.filter(action="enrollment.discrepancy.gone")
    assert sorted(int(e.object_id) for e in entries) == sorted(d.pk for d in gone)
    assert {e.actor_name for e in entries} == {"system"}
    assert {(e.before["status"], e.after["status"]) for e in entries} == {("OPEN", "CLOSED")}


def test_the_night_closes_nothing_when_the_table_does_not_grant_the_system_the_move(register, tmp_path, monkeypatch):
    reconcile_file(write(tmp_path / "1.csv", planted_rows()), run_date=NIGHT1, actor=system_user())
    table = {state: {to: tuple(r for r in roles if r != "system") for to, roles in moves.items()}
             for state, moves in Discrepancy.TRANSITIONS.items()}
    monkeypatch.setattr(Discrepancy, "TRANSITIONS", table)
    with pytest.raises(PermissionDenied):
        reconcile_file(write(tmp_path / "2.csv", [row(A), row(B), row(C)]), run_date=NIGHT2, actor=system_user())
    assert ReconciliationRun.objects.get(run_date=NIGHT2).status == ReconciliationRun.Status.FAILED
    assert not Discrepancy.objects.filter(closed_on__isnull=False).exists()


def test_the_night_bumps_the_version_of_an_open_discrepancy_whose_values_changed_only(register, tmp_path):
    reconcile_file(write(tmp_path / "1.csv", [row(A), row(B, paid_through="2026-08"), row(C, gender="3")]),
                   run_date=NIGHT1, actor=system_user())
    first = {d.id_number: d.version for d in Discrepancy.objects.all()}
    # B's agency value changes; C's row is still invalid for the same reason, on another line
    reconcile_file(write(tmp_path / "2.csv", [row(C, gender="3"), row(A), row(B, paid_through="2026-07")]),
                   run_date=NIGHT2, actor=system_user())
    after = {d.id_number: d.version for d in Discrepancy.objects.all()}
    assert after == {B: first[B] + 1, C: first[C]}
    assert Discrepancy.objects.get(id_number=C).line_no == 2


def test_a_changed_agency_value_replaces_the_previous_one(register, tmp_path):
    reconcile_file(write(tmp_path / "1.csv", [row(A), row(B, paid_through="2026-08"), row(C)]), run_date=NIGHT1, actor=system_user())
    reconcile_file(write(tmp_path / "2.csv", [row(A), row(B, paid_through="2026-07"), row(C)]), run_date=NIGHT2, actor=system_user())
    d = Discrepancy.objects.get(id_number=B, field="paid_through", closed_on__isnull=True)
    assert (d.agency_value, d.nights_seen) == ("2026-07", 2)


def test_an_invalid_row_carrying_our_number_is_not_missing_at_the_agency(register, tmp_path):
    rows = [row(A), row(B), row(C, gender="3")]
    reconcile_file(write(tmp_path / "x.csv", rows), run_date=NIGHT1, actor=system_user())
    assert open_set() == {("INVALID_ROW", C, "")}
    assert Discrepancy.objects.get().reason == "gender:value"


def test_lowercase_x_is_read_as_capital_x(tmp_path):
    PersonFactory(**person_values(E))
    assert E.endswith("X")
    reconcile_file(write(tmp_path / "x.csv", [row(E[:-1] + "x")]), run_date=NIGHT1, actor=system_user())
    assert open_set() == set()


@pytest.mark.parametrize("variant", ["gz", "crlf_bom", "quoted", "reordered", "wrong_columns"])
def test_other_shapes_of_the_same_file_give_the_same_result(register, tmp_path, variant):
    rows = planted_rows()
    kwargs = {}
    if variant == "gz":
        kwargs["gz"] = True
    elif variant == "crlf_bom":
        kwargs.update(newline="\r\n", bom=True)
    elif variant == "quoted":
        rows = [f'"{r.split(",")[0]}","张三",' + ",".join(r.split(",")[2:]) if r.startswith(A) else r for r in rows]
    elif variant == "reordered":
        header = "name,id_number,gender,birth_date,insurance_type,employer_code,status,status_date,paid_through"
        kwargs["header"] = header
        rows = [",".join([r.split(",")[1], r.split(",")[0], *r.split(",")[2:]]) for r in rows]
    elif variant == "wrong_columns":
        rows = [*rows, f"{number('32010219700101005')},赵六,1"]
    name = "x.csv.gz" if variant == "gz" else "x.csv"
    reconcile_file(write(tmp_path / name, rows, **kwargs), run_date=NIGHT1, actor=system_user())
    kinds = sorted(k for k, _i, _f in open_set())
    expected = ["FIELD_MISMATCH", "FIELD_MISMATCH", "INVALID_ROW", "MISSING_AGENCY", "MISSING_LOCAL"]
    if variant == "wrong_columns":
        expected = sorted([*expected, "INVALID_ROW"])
        assert Discrepancy.objects.get(id_number=number("32010219700101005")).reason == "row:columns"
    assert kinds == expected


@pytest.mark.parametrize("case", ["truncated", "no_trailer", "duplicate_matched", "duplicate_new",
                                  "duplicate_lowercase", "not_utf8", "bad_header", "empty"])
def test_a_bad_file_is_rejected_whole_and_changes_nothing(register, tmp_path, case):
    reconcile_file(write(tmp_path / "ok.csv", planted_rows()), run_date=NIGHT1, actor=system_user())
    before = list(Discrepancy.objects.order_by("pk").values())
    path = tmp_path / "bad.csv"
    rows = [row(A), row(B), row(C)]
    if case == "truncated":
        write(path, rows, trailer=5)
    elif case == "no_trailer":
        path.write_text("\n".join([rows[0].split(",")[0] and "id_number,name,gender,birth_date,insurance_type,"
                                   "employer_code,status,status_date,paid_through", *rows]) + "\n")
    elif case == "duplicate_matched":
        write(path, [*rows, row(A)])
    elif case == "duplicate_new":
        write(path, [*rows, row(D), row(D, name="李四")])
    elif case == "duplicate_lowercase":
        PersonFactory(**person_values(E))
        write(path, [*rows, row(E), row(E[:-1] + "x")])
    elif case == "not_utf8":
        path.write_bytes(("id_number,name,gender,birth_date,insurance_type,employer_code,status,status_date,"
                          f"paid_through\n{rows[0]}\n#TRAILER,1\n").encode("gb18030"))
    elif case == "bad_header":
        write(path, rows, header="id,name,gender,birth_date,insurance_type,employer_code,status,status_date,paid")
    elif case == "empty":
        path.write_text("")
    with pytest.raises(ExtractRejected) as caught:
        reconcile_file(path, run_date=NIGHT2, actor=system_user())
    assert caught.value.message
    assert list(Discrepancy.objects.order_by("pk").values()) == before
    run = ReconciliationRun.objects.get(run_date=NIGHT2)
    assert run.status == "REJECTED" and run.error == caught.value.message
    if case.startswith("duplicate"):
        assert "more than one row" in caught.value.message and caught.value.errors


def test_an_agency_that_quotes_every_field_gets_the_same_result_by_the_column_path(register, tmp_path,
                                                                                   monkeypatch):
    monkeypatch.setattr("enrollment.reconciliation.engine.MATCH_AT_LEAST", 2)
    quoted = [",".join(f'"{c}"' for c in r.split(",")) for r in planted_rows()]
    outcome = reconcile_file(write(tmp_path / "x.csv", quoted), run_date=NIGHT1, actor=system_user())
    assert sorted(k for k, _i, _f in open_set()) == ["FIELD_MISMATCH", "FIELD_MISMATCH", "INVALID_ROW",
                                                     "MISSING_AGENCY", "MISSING_LOCAL"]
    assert outcome.run.timings["parsed_in_python"] is True  # every row split into columns
    assert outcome.run.rows == 4


def test_a_quoted_field_across_lines_is_read_whole(register, tmp_path):
    rows = [row(A), row(B), row(C), row(D, name='"李\n四"')]  # a line break inside a quoted name
    reconcile_file(write(tmp_path / "x.csv", rows), run_date=NIGHT1, actor=system_user())
    missing = Discrepancy.objects.get(kind="MISSING_LOCAL")
    assert missing.id_number == D and missing.agency_row["name"] == "李\n四"


def test_a_second_run_while_one_is_running_is_refused(register, tmp_path, transactional_db):
    settings = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                                         port=settings["PORT"] or None, password=settings.get("PASSWORD") or None)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with psycopg.connect(dsn, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [LOCK])
            holding.set()
            release.wait(10)
            # Unlock before closing: a closed connection's locks go when its server process has
            # ended, which may be after close() returns (the embedded PostgreSQL showed the race).
            other.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [LOCK])

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert holding.wait(10)
        with pytest.raises(Conflict) as caught:
            reconcile_file(write(tmp_path / "x.csv", planted_rows()), run_date=NIGHT1, actor=system_user())
        assert caught.value.code == "reconciliation_running"
        assert not Discrepancy.objects.exists()
    finally:
        release.set()
        worker.join()
    reconcile_file(write(tmp_path / "x.csv", planted_rows()), run_date=NIGHT1, actor=system_user())  # free again
    assert Discrepancy.objects.count() == 5


def test_the_command_prints_four_summary_lines(register, tmp_path):
    path = write(tmp_path / "enrollment-20261120.csv", planted_rows())
    out, err = StringIO(), StringIO()
    call_command("reconcile_enrollment", "--file", str(path), stdout=out, stderr=err)
    assert out.getvalue().splitlines() == ["MISSING_LOCAL: 1", "MISSING_AGENCY: 1", "FIELD_MISMATCH: 2",
                                           "INVALID_ROW: 1"]
    assert ReconciliationRun.objects.get().run_date == NIGHT1  # the date in the file name


def test_the_command_refuses_a_truncated_file_with_the_reason(register, tmp_path):
    path = write(tmp_path / "x.csv", [row(A)], trailer=2)
    with pytest.raises(CommandError, match="truncated"):
        call_command("reconcile_enrollment", "--file", str(path), "--date", "2026-11-20", stdout=StringIO())
    assert not Discrepancy.objects.exists()


def test_an_employee_row_needs_a_valid_employer_code(tmp_path):
    emp = number("32010219881212006")
    PersonFactory(**person_values(emp, insurance_type="EMP", employer_code=EMPLOYER))
    bad = EMPLOYER[:-1] + ("0" if EMPLOYER[-1] != "0" else "1")
    reconcile_file(write(tmp_path / "x.csv", [row(emp, insurance_type="EMP", employer_code=bad)]), run_date=NIGHT1, actor=system_user())
    assert Discrepancy.objects.get().reason == "employer_code:invalid"
