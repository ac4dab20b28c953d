"""The reconciliation pages: who may open and do what, the run list with its chart, starting a
run and following it, the discrepancy list (filters, masking, query counts), a discrepancy's
page, and the export for the agency (masking, formula safety, the audited full-number export,
reporting back the kept ones)."""

import csv
import hashlib
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from core.locks import session_lock
from core.masking import mask_id_number
from core.models import AuditEntry, LetterRecord
from core.system import system_user
from enrollment.models import Discrepancy, Person, ReconciliationRun
from enrollment.reconciliation.engine import LOCK, reconcile_file
from enrollment.services.reconciliation import issue_run_report, keep_our_value
from supervision.models import Problem
from tests.factories import PersonFactory

from .extracts import number, person_values, row, write
from .test_discrepancy_resolution import (  # noqa: F401  (the fixtures night and register)
    BROKEN,
    GONE,
    NAME,
    NEW,
    NIGHT,
    STATUS,
    bulk,
    english,
    fresh,
    messages_of,
    night_fixture,
    planted_rows,
    register_fixture,
    resolve,
    take_agency,
)

pytestmark = pytest.mark.django_db

ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]
STAFF = {"clerk", "reviewer", "senior_reviewer", "supervisor", "admin"}
MAY = {  # enrollment.permissions.RECONCILIATION_ACTIONS, written out
    "view": STAFF,
    "resolve": {"clerk", "reviewer", "senior_reviewer", "admin"},
    "propose": {"clerk", "reviewer", "senior_reviewer", "admin"},
    "confirm": {"reviewer", "senior_reviewer"},
    "escalate": STAFF,
    "run": {"reviewer", "senior_reviewer", "supervisor", "admin"},
}
ACTION_NEEDS = {"TAKE_AGENCY": "propose", "KEEP_OURS": "resolve", "ESCALATED": "escalate"}
ALL_IDS = (STATUS, NAME, GONE, NEW, BROKEN)


def body(response) -> str:
    return (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8-sig")


class FakeTask:
    """Stands in for enrollment.tasks.reconcile_extract: records what the page handed over."""

    def __init__(self):
        self.calls = []

    def delay_on_commit(self, *args):
        self.calls.append(args)


@pytest.fixture
def fake_task(monkeypatch):
    import enrollment.tasks

    fake = FakeTask()
    monkeypatch.setattr(enrollment.tasks, "reconcile_extract", fake)
    return fake


@pytest.fixture
def run(night):
    return ReconciliationRun.objects.get(run_date=NIGHT)


def get_urls(run, night) -> list[str]:
    return [
        reverse("enrollment:run_list"),
        reverse("enrollment:run_detail", args=[run.pk]),
        reverse("enrollment:run_progress") + f"?date={NIGHT}&after=0",
        reverse("enrollment:report_pdf", args=[run.pk]),
        reverse("enrollment:discrepancy_list"),
        reverse("enrollment:discrepancy_list") + "?state=closed&kind=FIELD_MISMATCH",
        reverse("enrollment:discrepancy_detail", args=[night["invalid"].pk]),
        reverse("enrollment:discrepancy_export") + "?format=csv",
        reverse("enrollment:discrepancy_export") + "?format=xlsx&state=kept",
    ]


def drop_file(settings, name="enrollment-20261121.csv") -> Path:
    return write(Path(settings.AGENCY_DROP_DIR) / name, planted_rows())


# --- who may open and do what ---------------------------------------------------------------------

def data_state() -> tuple:
    """What a GET must leave as it was: the discrepancies, the runs, the letters, the ledger."""
    return (list(Discrepancy.objects.order_by("pk").values_list("version", "status", "reported_back_on")),
            list(ReconciliationRun.objects.order_by("pk").values_list("status", "attempts", "finished_at")),
            LetterRecord.objects.count(), Problem.objects.count())


@pytest.mark.parametrize("role", ROLES)
def test_each_page_opens_for_enrollment_staff_only_and_no_get_changes_anything(personas, client_for, run, night,
                                                                               role):
    issue_run_report(actor=system_user(), run=run)  # what the night does after the run
    before = data_state()
    client = client_for(personas[role])
    for url in get_urls(run, night):
        response = client.get(url)
        assert response.status_code == (200 if role in MAY["view"] else 403), url
        if role not in MAY["view"]:
            assert mask_id_number(NAME) not in body(response) and NAME not in body(response)
    assert data_state() == before


def test_anonymous_users_are_sent_to_the_login_page_and_change_nothing(client, run, night, fake_task, settings):
    for url in get_urls(run, night):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    posts = [
        (reverse("enrollment:discrepancy_bulk"), {"ids": [night["name"].pk], "action": "KEEP_OURS"}),
        (reverse("enrollment:discrepancy_resolve", args=[night["name"].pk]),
         {"action": "KEEP_OURS", "version": night["name"].version}),
        (reverse("enrollment:run_start"), {"drop_file": drop_file(settings).name}),
        (reverse("enrollment:report_issue", args=[run.pk]), {}),
        (reverse("enrollment:discrepancy_report_back"), {"format": "csv"}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert fresh(night["name"]).version == night["name"].version and fake_task.calls == []
    assert not LetterRecord.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["TAKE_AGENCY", "KEEP_OURS", "ESCALATED"])
def test_each_resolution_is_for_the_roles_that_may_take_it(personas, client_for, night, role, action):
    """Keeping ours and escalating are done at once; taking the agency's value only shows the preview
    of a proposal (the register changes when another person confirms it: test_register_change_proposals)."""
    client = client_for(personas[role])
    allowed = role in MAY[ACTION_NEEDS[action]]
    done_at_once = action != "TAKE_AGENCY"
    in_bulk, on_page = night["name"], night["status"]
    response = bulk(client, [in_bulk], action)
    assert response.status_code == ((302 if done_at_once else 200) if allowed else 403)
    response = resolve(client, on_page, action)
    assert response.status_code == ((302 if done_at_once else 200) if allowed else 403)
    for d in (in_bulk, on_page):
        assert (fresh(d).resolution == action) == (allowed and done_at_once)
    assert Person.objects.get(id_number=NAME).name == "李思"


@pytest.mark.parametrize("role", ROLES)
def test_starting_a_run_is_for_the_roles_that_may_run_one(personas, client_for, fake_task, settings, role):
    client = client_for(personas[role])
    path = drop_file(settings)
    page = client.get(reverse("enrollment:run_list"))
    assert (reverse("enrollment:run_start") in body(page)) == (role in MAY["run"])
    response = client.post(reverse("enrollment:run_start"), {"drop_file": path.name})
    if role in MAY["run"]:
        assert response.status_code == 302
        assert fake_task.calls == [(str(path), "2026-11-21", personas[role].pk)]
    else:
        assert response.status_code == 403 and fake_task.calls == []


# --- starting a run and following it ---------------------------------------------------------------

def test_an_uploaded_extract_is_kept_with_its_name_and_checksum_and_handed_to_the_worker(
        register, reviewer, client_for, fake_task, settings):
    content = write(Path(settings.MEDIA_ROOT).parent / "upload.csv", planted_rows()).read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    client = english(client_for(reviewer))
    response = client.post(reverse("enrollment:run_start"), {
        "upload": SimpleUploadedFile("enrollment-20261121.csv", content, content_type="text/csv")})
    assert response.status_code == 302
    assert response.url == reverse("enrollment:run_progress") + "?date=2026-11-21&after=0"
    [(path, run_date, user_id)] = fake_task.calls
    kept = Path(settings.MEDIA_ROOT) / "agency" / sha256[:16] / "enrollment-20261121.csv"
    assert (Path(path), run_date, user_id) == (kept, "2026-11-21", reviewer.pk)
    assert kept.read_bytes() == content
    requested = AuditEntry.objects.get(action="enrollment.reconciliation.requested")
    assert requested.after["sha256"] == sha256 and requested.actor_id == reviewer.pk

    queued = client.get(response.url)
    assert 'hx-trigger="every 2s"' in body(queued) and "Queued" in body(queued)
    polled = client.get(response.url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and "waiting for a worker" in body(polled)

    reconcile_file(Path(path), run_date=date.fromisoformat(run_date), actor=reviewer)  # what the worker does
    done = client.get(response.url, HTTP_HX_REQUEST="true")
    assert done.status_code == 286  # htmx stops polling
    assert "Succeeded" in body(done) and "5 rows read (1 invalid)" in body(done)
    run = ReconciliationRun.objects.get(run_date=date(2026, 11, 21))
    assert (run.file_name, run.file_sha256, run.triggered_by) == ("enrollment-20261121.csv", sha256, reviewer)


def test_the_worker_task_runs_the_engine_once_the_request_commits(
        register, supervisor, client_for, settings, django_capture_on_commit_callbacks):
    path = drop_file(settings)
    client = english(client_for(supervisor))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("enrollment:run_start"), {"drop_file": path.name, "run_date": "2026-11-25"})
    assert len(callbacks) == 1
    run = ReconciliationRun.objects.get(run_date=date(2026, 11, 25))
    assert (run.status, run.triggered_by, run.rows) == (ReconciliationRun.Status.SUCCEEDED, supervisor, 5)
    assert client.get(response.url, HTTP_HX_REQUEST="true").status_code == 286


def _as_if_running(run):
    """The run and its latest try back to RUNNING, as a worker in the middle of it leaves them."""
    run.status, run.finished_at = ReconciliationRun.Status.RUNNING, None
    run.save(update_fields=["status", "finished_at"])
    run.attempt_rows.filter(number=run.attempts).update(status=ReconciliationRun.Status.RUNNING, finished_at=None)


def test_a_running_run_is_followed_every_two_seconds_and_the_page_reloads_when_it_ends(night, clerk, client_for):
    run = ReconciliationRun.objects.get(run_date=NIGHT)
    _as_if_running(run)
    client = english(client_for(clerk))
    url = reverse("enrollment:run_detail", args=[run.pk])
    with session_lock(LOCK):  # the worker's session holds the lock while it runs
        page = body(client.get(url))
        assert f'hx-get="{url}"' in page and 'hx-trigger="every 2s"' in page and "report.pdf" not in page
        polled = client.get(url, HTTP_HX_REQUEST="true")
        assert polled.status_code == 200 and "Reconciling enrollment-20261120.csv" in body(polled)
        assert client.get(reverse("enrollment:report_pdf", args=[run.pk])).status_code == 409
        run.status = ReconciliationRun.Status.SUCCEEDED
        run.save(update_fields=["status"])
        run.attempt_rows.update(status=ReconciliationRun.Status.SUCCEEDED)
        done = client.get(url, HTTP_HX_REQUEST="true")
        assert done.status_code == 286 and done["HX-Refresh"] == "true"


def test_a_run_whose_worker_was_killed_shows_as_interrupted_and_the_next_run_takes_over(
        night, clerk, reviewer, client_for, tmp_path):
    run = ReconciliationRun.objects.get(run_date=NIGHT)
    _as_if_running(run)  # the worker was killed mid-run: the row says RUNNING, nobody holds the lock
    client = english(client_for(clerk))
    url = reverse("enrollment:run_detail", args=[run.pk])
    page = body(client.get(url))
    assert '<span class="badge danger">Interrupted</span>' in page and 'hx-trigger="every 2s"' not in page
    assert "The run was interrupted" in page
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 286  # nothing to wait for
    listed = body(client.get(reverse("enrollment:run_list")))
    assert '<span class="badge danger">Interrupted</span>' in listed and ">Running<" not in listed

    # The next run, of another date, records it as interrupted and goes on; its own date's next run redoes it.
    # (The other date is the night before: once a later date has succeeded, an older one cannot be run.)
    reconcile_file(write(tmp_path / "next.csv", planted_rows()), run_date=NIGHT - timedelta(days=1), actor=reviewer)
    run.refresh_from_db()
    assert run.status == ReconciliationRun.Status.INTERRUPTED
    assert run.attempt_rows.get(number=run.attempts).status == ReconciliationRun.Status.INTERRUPTED
    reconcile_file(write(tmp_path / "again.csv", planted_rows()), run_date=NIGHT, actor=reviewer)
    run.refresh_from_db()
    assert run.status == ReconciliationRun.Status.SUCCEEDED and run.attempts == 2
    assert AuditEntry.objects.filter(action="enrollment.reconciliation.interrupted", object_id=str(run.pk)).exists()


@pytest.mark.parametrize("data, error", [
    ({}, "Upload a file or choose one from the drop folder (one of the two)."),
    ({"drop_file": "../../etc/passwd"}, "Select a valid choice."),
    ({"drop_file": "agency-latest.csv"}, "The file name carries no date: give the date of the extract."),
])
def test_a_run_needs_one_known_file_and_a_date(reviewer, client_for, fake_task, settings, data, error):
    write(Path(settings.AGENCY_DROP_DIR) / "agency-latest.csv", planted_rows())
    response = english(client_for(reviewer)).post(reverse("enrollment:run_start"), data)
    assert response.status_code == 400 and error in body(response)
    assert fake_task.calls == []


def test_a_rejected_run_says_why_on_the_list_and_its_page(register, clerk, client_for, tmp_path):
    from enrollment.reconciliation.extract import ExtractRejected

    with pytest.raises(ExtractRejected), translation.override("en"):  # the reason is kept as written
        reconcile_file(write(tmp_path / "enrollment-20261122.csv", planted_rows(), trailer=9),
                       run_date=date(2026, 11, 22), actor=system_user())
    client = english(client_for(clerk))
    run = ReconciliationRun.objects.get(run_date=date(2026, 11, 22))
    reason = "The trailer announces 9 data rows but the file has 5"
    assert reason in body(client.get(reverse("enrollment:run_list")))
    page = body(client.get(reverse("enrollment:run_detail", args=[run.pk])))
    assert "The file was rejected, nothing was changed:" in page and reason in page


# --- the run list and its chart ----------------------------------------------------------------------

def nights(tmp_path, count: int, start: date = NIGHT) -> list[ReconciliationRun]:
    """Run the engine on `count` nights; night i drops i more of our persons from the extract."""
    for i in range(count):
        rows = planted_rows()[: max(1, len(planted_rows()) - i)]
        reconcile_file(write(tmp_path / f"n{i}.csv", rows), run_date=start + timedelta(days=i), actor=system_user())
    return list(ReconciliationRun.objects.order_by("run_date"))


def test_the_trend_chart_is_inline_svg_with_a_title_a_description_and_the_same_numbers_in_a_table(
        register, clerk, client_for, tmp_path):
    runs = nights(tmp_path, 3)
    page = body(english(client_for(clerk)).get(reverse("enrollment:run_list")))
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="trend-title trend-desc"' in svg
    assert "<title id=\"trend-title\">Open discrepancies by kind, last 3 runs</title>" in svg
    assert "<desc id=\"trend-desc\">From 2026-11-20 to 2026-11-22." in svg
    assert svg.count("<polyline") == 4 and "http" not in svg.replace("http://www.w3.org", "")
    assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"', page))
    table = page[page.index("The same numbers as a table"):]
    for r in runs:
        cells = "".join(f'<td class="num">{r.counts[k]}</td>' for k in Discrepancy.Kind.values)
        assert f'<th scope="row">{r.run_date:%Y-%m-%d}</th>{cells}' in table


def test_the_run_page_shows_counts_timings_checksum_and_the_report_link(register, clerk, client_for, tmp_path):
    first, second = nights(tmp_path, 2)
    client = english(client_for(clerk))
    url = reverse("enrollment:run_detail", args=[second.pk])
    unreported = body(client.get(url))  # a run the night issued no report for: a button issues it
    assert reverse("enrollment:report_issue", args=[second.pk]) in unreported
    assert reverse("enrollment:report_pdf", args=[second.pk]) not in unreported
    assert client.post(reverse("enrollment:report_issue", args=[second.pk])).url == reverse(
        "enrollment:report_pdf", args=[second.pk])
    page = body(client.get(url))
    assert reverse("enrollment:report_pdf", args=[second.pk]) in page
    assert second.file_sha256 not in page  # a clerk's page shows no hash (the report prints it)
    assert reverse("enrollment:report_issue", args=[second.pk]) not in page
    assert "Night before (2026-11-20)" in page
    phases = [page.index(f'<th scope="row">{phase}</th>') for phase in
              ("Read the file (COPY)", "Match lines with the register", "Compare", "Validate and classify",
               "Update the discrepancies")]
    assert phases == sorted(phases)  # in the order the engine runs them
    assert (first.counts["INVALID_ROW"], second.counts["INVALID_ROW"]) == (1, 0)
    invalid = page[page.index("?kind=INVALID_ROW"):]
    assert invalid.index('<td class="num">0</td><td class="num">1</td>') < invalid.index('<td class="num">-1</td>')


def test_the_run_list_costs_the_same_queries_for_3_runs_and_for_43(register, clerk, client_for, tmp_path,
                                                                    django_assert_max_num_queries):
    nights(tmp_path, 3)
    client = client_for(clerk)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("enrollment:run_list")).status_code == 200
    ReconciliationRun.objects.bulk_create([
        ReconciliationRun(run_date=date(2026, 1, 1) + timedelta(days=i), status=ReconciliationRun.Status.SUCCEEDED,
                          counts={"MISSING_LOCAL": i}, timings={"total": 0.5}, triggered_by=clerk)
        for i in range(40)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("enrollment:run_list")).status_code == 200


# --- the discrepancy list ------------------------------------------------------------------------------

def test_the_list_masks_identity_numbers_and_explains_invalid_rows_in_words(night, clerk, client_for):
    page = body(english(client_for(clerk)).get(reverse("enrollment:discrepancy_list")))
    for id_number in ALL_IDS:
        assert id_number not in page and mask_id_number(id_number) in page
    assert "Identity number: the check character is wrong" in page and "id_number" not in page
    assert 'data-select-all="ids"' in page and page.count('name="ids"') == 6
    assert '<input type="hidden" name="next" value="/enrollment/discrepancies/">' in page


@pytest.mark.parametrize("query, expected", [
    ("", {"status", "status_date", "missing_local"}),
    ("?kind=FIELD_MISMATCH", {"status", "status_date"}),
    ("?kind=FIELD_MISMATCH&field=status_date", {"status_date"}),
    (f"?id_prefix={STATUS[:12]}", {"status", "status_date"}),
    (f"?state=closed&id_prefix={NAME.lower()}", {"name"}),
    ("?state=kept", {"invalid"}),
    ("?state=escalated", {"missing_agency"}),
    ("?state=closed", {"name"}),
    ("?min_age=3", {"status", "status_date"}),
    ("?max_age=2", {"missing_local"}),
    ("?min_age=3&max_age=2", set()),
    ("?min_age=abc&kind=NOPE", {"status", "status_date", "missing_local"}),  # invalid: the default list
])
def test_the_list_filters_by_state_kind_field_age_and_number(night, clerk, reviewer, client_for, query, expected):
    from enrollment.services.reconciliation import escalate_discrepancy

    keep_our_value(actor=clerk, discrepancy=night["invalid"])
    escalate_discrepancy(actor=clerk, discrepancy=night["missing_agency"])
    take_agency(clerk, reviewer, night["name"])
    today = timezone.localdate()
    Discrepancy.objects.exclude(pk=night["missing_local"].pk).update(first_seen=today - timedelta(days=5))
    Discrepancy.objects.filter(pk=night["missing_local"].pk).update(first_seen=today - timedelta(days=1))
    page = body(client_for(clerk).get(reverse("enrollment:discrepancy_list") + query))
    shown = {key for key, d in night.items()
             if f'href="{reverse("enrollment:discrepancy_detail", args=[d.pk])}"' in page}
    assert shown == expected


def _missing_here(tmp_path, n: int, run_date: date):
    rows = [row(number(f"4401061970{(i // 28) % 12 + 1:02d}{i % 28 + 1:02d}{i // 336:02d}1"), name="新人")
            for i in range(n)]
    reconcile_file(write(tmp_path / f"many-{n}.csv", rows), run_date=run_date, actor=system_user())


def test_the_list_costs_the_same_queries_for_5_discrepancies_and_for_50(clerk, client_for, tmp_path,
                                                                         django_assert_max_num_queries):
    client = client_for(clerk)
    _missing_here(tmp_path, 5, NIGHT)
    assert Discrepancy.objects.filter(closed_on__isnull=True).count() == 5
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("enrollment:discrepancy_list")).status_code == 200
    _missing_here(tmp_path, 50, NIGHT + timedelta(days=1))
    assert Discrepancy.objects.filter(closed_on__isnull=True).count() == 50
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = body(client.get(reverse("enrollment:discrepancy_list")))
    assert page.count('name="ids"') == 50


# --- a discrepancy's page ----------------------------------------------------------------------------

def test_the_page_shows_ours_and_the_agencys_side_by_side_with_the_number_masked(night, clerk, client_for):
    client = english(client_for(clerk))
    person = Person.objects.get(id_number=NAME)
    page = body(client.get(reverse("enrollment:discrepancy_detail", args=[night["name"].pk])))
    assert NAME not in page and page.count(mask_id_number(NAME)) >= 3  # the facts, ours, theirs
    assert "<td>李思</td>" in page and "李四" in page and 'class="badge warn">differs' in page
    assert reverse("enrollment:person_detail", args=[person.pk]) in page
    assert "Nights seen" in page and "2026-11-20" in page

    page = body(client.get(reverse("enrollment:discrepancy_detail", args=[night["missing_local"].pk])))
    assert not re.search(r'href="/enrollment/persons/\d+/"', page) and "not in the register" in page

    page = body(client.get(reverse("enrollment:discrepancy_detail", args=[night["invalid"].pk])))
    assert BROKEN not in page and "the check character is wrong" in page and "王五" in page


def test_the_page_keeps_the_resolution_history(night, clerk, client_for):
    client = english(client_for(clerk))
    resolve(client, night["invalid"], "KEEP_OURS", note="the agency's row is broken")
    page = body(client.get(reverse("enrollment:discrepancy_detail", args=[night["invalid"].pk])))
    assert "kept our value, to be reported back to the agency" in page and "the agency&#x27;s row is broken" in page
    assert "enrollment.discrepancy.ours_kept" not in page


def test_an_unknown_discrepancy_or_run_is_not_found(clerk, client_for):
    client = client_for(clerk)
    assert client.get(reverse("enrollment:discrepancy_detail", args=[424242])).status_code == 404
    assert client.get(reverse("enrollment:run_detail", args=[424242])).status_code == 404


# --- the export for the agency -----------------------------------------------------------------------------

FORMULA = number("32010219700707005")


@pytest.fixture
def formula_night(register, tmp_path):
    PersonFactory(**person_values(FORMULA, "周九"))
    reconcile_file(write(tmp_path / "f.csv", [*planted_rows(), row(FORMULA, name="=1+1")]), run_date=NIGHT, actor=system_user())
    return Discrepancy.objects.get(id_number=FORMULA)


def export(client, query: str):
    return client.get(reverse("enrollment:discrepancy_export") + query)


def test_the_export_masks_numbers_for_a_clerk_and_neutralises_formulas(formula_night, clerk, client_for):
    response = export(english(client_for(clerk)), "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body(response))))
    assert rows[0] == ["Kind", "Identity number", "Field", "Our value", "Agency's value", "Reason", "First seen",
                       "Last seen", "Nights seen", "Resolution"]
    assert {r[1] for r in rows[1:]} == {mask_id_number(n) for n in (*ALL_IDS, FORMULA)}
    assert ["Field differs", mask_id_number(FORMULA), "name", "周九", "'=1+1", "", "2026-11-20", "2026-11-20", "1",
            "To be worked"] in rows
    invalid = next(r for r in rows if r[0] == "Invalid row")
    assert "id_number: the check character is wrong" in invalid[5]
    assert not AuditEntry.objects.filter(action="enrollment.discrepancy.exported").exists()


def test_the_full_number_export_is_for_the_permission_holder_and_audited_once(formula_night, reviewer,
                                                                               client_for):
    response = export(english(client_for(reviewer)), "?format=xlsx&kind=FIELD_MISMATCH")
    sheet = load_workbook(io.BytesIO(body_bytes(response))).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert len(rows) == 1 + 4  # status, status_date, name, the formula's name
    assert {r[1] for r in rows[1:]} == {STATUS, NAME, FORMULA}
    assert ["Field differs", FORMULA, "name", "周九", "'=1+1"] in [r[:5] for r in rows]
    [entry] = AuditEntry.objects.filter(action="enrollment.discrepancy.exported")
    assert entry.actor_id == reviewer.pk and entry.after["count"] == 4 and entry.after["full_id_numbers"] is True
    assert entry.after["filters"]["kind"] == "FIELD_MISMATCH"


def body_bytes(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def report_back(client, query: dict):
    return client.post(reverse("enrollment:discrepancy_report_back"), query)


def test_reporting_back_marks_the_kept_ones_in_one_update_audited_once_and_exports_them(night, clerk, client_for):
    shown = night["invalid"].version
    for d in (night["missing_agency"], night["invalid"]):
        keep_our_value(actor=clerk, discrepancy=d)
    assert len(list(csv.reader(io.StringIO(body(export(client_for(clerk), "?format=csv&state=kept")))))) == 3
    assert not Discrepancy.objects.filter(reported_back_on__isnull=False).exists()  # the GET changed nothing
    with CaptureQueriesContext(connection) as queries:
        response = report_back(client_for(clerk), {"format": "csv", "state": "open"})  # kept ones, whatever state
        rows = list(csv.reader(io.StringIO(body(response))))
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {mask_id_number(GONE), mask_id_number(BROKEN)}
    updates = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith('UPDATE "enrollment_discrepancy"')]
    assert len(updates) == 1
    today = timezone.localdate()
    assert set(Discrepancy.objects.filter(reported_back_on=today).values_list("pk", flat=True)) == {
        night["missing_agency"].pk, night["invalid"].pk}
    [entry] = AuditEntry.objects.filter(action="enrollment.discrepancy.reported_back")
    assert sorted(entry.after["ids"]) == sorted([night["missing_agency"].pk, night["invalid"].pk])
    assert fresh(night["invalid"]).version == shown + 1  # the keep, not the report


def test_reporting_back_is_a_post_for_those_who_resolve(night, supervisor, clerk, client_for):
    keep_our_value(actor=clerk, discrepancy=night["invalid"])
    assert client_for(clerk).get(reverse("enrollment:discrepancy_report_back")).status_code == 405
    assert report_back(client_for(supervisor), {"format": "csv"}).status_code == 403
    assert report_back(client_for(clerk), {"format": "pdf"}).status_code == 400
    assert not Discrepancy.objects.filter(reported_back_on__isnull=False).exists()
    assert not AuditEntry.objects.filter(action="enrollment.discrepancy.reported_back").exists()


def test_the_export_has_the_open_ones_only_and_needs_a_format(night, clerk, client_for):
    client = english(client_for(clerk))
    assert len(list(csv.reader(io.StringIO(body(export(client, "?format=csv&state=closed")))))) == 1
    assert export(client, "?format=pdf").status_code == 400
    assert not AuditEntry.objects.filter(action="enrollment.discrepancy.reported_back").exists()
