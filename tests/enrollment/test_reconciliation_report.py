"""The nightly report PDF: counts by kind against the night before, what was new and what closed,
the oldest open ones with masked numbers, in Chinese; issued once per run and kept; a rejected or
failed run says why."""

import re
import shutil
import subprocess
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core.masking import mask_id_number
from core.models import AuditEntry, LetterRecord
from core.system import system_user
from enrollment.models import Discrepancy, ReconciliationRun
from enrollment.reconciliation.engine import reconcile_file
from enrollment.reconciliation.extract import ExtractRejected
from enrollment.reconciliation.report import KIND

from .extracts import number, row, write
from .test_discrepancy_resolution import (  # noqa: F401  (the fixtures night and register)
    BROKEN,
    GONE,
    NAME,
    NEW,
    NIGHT,
    STATUS,
    night_fixture,
    planted_rows,
    register_fixture,
)

pytestmark = pytest.mark.django_db

NEXT_NIGHT = date(2026, 11, 21)
NEWER = number("11010820010909001")  # arrives on the second night: MISSING_LOCAL


def second_night_rows() -> list[str]:
    """The name difference is fixed at the agency; a new person appears; the rest stays."""
    rows = [r for r in planted_rows() if not r.startswith(NAME)]
    return [*rows, row(NAME, name="李思"), row(NEWER, name="吴十")]


def pdf_text(letter: LetterRecord, *, layout: bool = False) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), letter.pdf.path, "-"]
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def squeeze(text: str) -> str:
    return "".join(text.split())  # CJK lines wrap anywhere: compare without whitespace


def zh(text) -> str:
    """A msgid (or lazy label) in Simplified Chinese, which must have a translation."""
    with translation.override("zh-hans"):
        out = str(translation.gettext(text) if isinstance(text, str) else text)
    assert re.search(r"[\u4e00-\u9fff]", out), f"{text!r} has no Chinese translation: run `make messages`"
    return out


def kind_label(kind: str) -> str:
    return zh(Discrepancy.Kind(kind).label)


def report(client, run) -> LetterRecord:
    """Issue the run's report from its page (the night does it for the runs it makes), then open it."""
    issued = client.post(reverse("enrollment:report_issue", args=[run.pk]))
    assert issued.status_code == 302
    response = client.get(issued.url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return LetterRecord.objects.filter(kind=KIND, object_id=str(run.pk)).latest("issued_at")


@pytest.fixture
def two_nights(night, tmp_path):
    reconcile_file(write(tmp_path / "enrollment-20261121.csv", second_night_rows()), run_date=NEXT_NIGHT, actor=system_user())
    return ReconciliationRun.objects.get(run_date=NIGHT), ReconciliationRun.objects.get(run_date=NEXT_NIGHT)


def test_the_report_compares_each_kind_with_the_night_before_in_chinese(two_nights, clerk, client_for):
    first, second = two_nights
    assert first.counts == {"MISSING_LOCAL": 1, "MISSING_AGENCY": 1, "FIELD_MISMATCH": 3, "INVALID_ROW": 1}
    assert second.counts == {"MISSING_LOCAL": 2, "MISSING_AGENCY": 1, "FIELD_MISMATCH": 2, "INVALID_ROW": 1}
    letter = report(client_for(clerk), second)
    text = pdf_text(letter, layout=True)
    flat = squeeze(text)
    for heading in ("Open discrepancies by kind", "The oldest open discrepancies", "Summary"):
        assert squeeze(zh(heading)) in flat
    assert squeeze(settings.OFFICE_NAME) in flat and letter.number in flat and letter.number.startswith("REC-")
    assert squeeze(zh("Nightly reconciliation report for %(date)s") % {"date": "2026-11-21"}) in flat
    # kind: open after the run, the night before, change, new tonight, closed tonight
    expected = {"MISSING_LOCAL": "2 1 +1 1 0", "MISSING_AGENCY": "1 1 0 0 0", "FIELD_MISMATCH": "2 3 -1 0 1",
                "INVALID_ROW": "1 1 0 0 0"}
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for kind, numbers in expected.items():
        assert f"{kind_label(kind)} {numbers}" in lines, kind
    assert f"{zh('Total')} 6 6 0 1 1" in lines


def test_the_report_lists_the_oldest_open_ones_with_masked_numbers_only(two_nights, clerk, client_for):
    _first, second = two_nights
    flat = squeeze(pdf_text(report(client_for(clerk), second)))
    for id_number in (STATUS, GONE, NEW, BROKEN, NEWER):
        assert mask_id_number(id_number) in flat
    for id_number in (STATUS, GONE, NEW, BROKEN, NEWER, NAME):
        assert id_number not in flat
    assert mask_id_number(NAME) not in flat  # closed on the second night


def test_the_report_is_issued_once_per_run_and_again_after_the_run_is_redone(two_nights, clerk, reviewer,
                                                                             client_for, tmp_path):
    _first, second = two_nights
    letter = report(client_for(clerk), second)
    assert report(client_for(reviewer), second).pk == letter.pk
    assert LetterRecord.objects.filter(kind=KIND).count() == 1
    assert AuditEntry.objects.filter(action="core.letter.issued").count() == 1
    reconcile_file(write(tmp_path / "again.csv", second_night_rows()), run_date=NEXT_NIGHT, actor=system_user())  # a retry
    assert report(client_for(clerk), second).pk != letter.pk
    assert LetterRecord.objects.filter(kind=KIND, object_id=str(second.pk)).count() == 2


def test_a_rejected_run_says_why_in_its_report(night, clerk, client_for, tmp_path):
    with pytest.raises(ExtractRejected):
        reconcile_file(write(tmp_path / "cut.csv", second_night_rows()[:3], trailer=6), run_date=NEXT_NIGHT, actor=system_user())
    run = ReconciliationRun.objects.get(run_date=NEXT_NIGHT)
    assert run.status == ReconciliationRun.Status.REJECTED and run.error
    flat = squeeze(pdf_text(report(client_for(clerk), run)))
    assert squeeze(run.error) in flat
    assert squeeze(zh("The agency's file was rejected and nothing was changed: %(error)s")
                   % {"error": run.error}) in flat
    assert squeeze(zh("Why there are no new counts")) in flat


def test_a_failed_run_says_why_in_its_report(night, clerk, client_for):
    run = ReconciliationRun.objects.create(
        run_date=NEXT_NIGHT, status=ReconciliationRun.Status.FAILED, attempts=1, file_name="enrollment-20261121.csv",
        error="OperationalError: the database went away", started_at=timezone.now(), finished_at=timezone.now())
    flat = squeeze(pdf_text(report(client_for(clerk), run)))
    assert squeeze("OperationalError: the database went away") in flat
    assert squeeze(zh("The run failed and nothing was changed; it can simply be run again: %(error)s")
                   % {"error": run.error}) in flat


def test_opening_a_report_never_issues_one(night, clerk, client_for):
    run = ReconciliationRun.objects.get(run_date=NIGHT)
    assert client_for(clerk).get(reverse("enrollment:report_pdf", args=[run.pk])).status_code == 404
    assert not LetterRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="core.letter.issued").exists()


def test_the_night_issues_each_runs_report_once(register, tmp_path):
    from core.system import system_user
    from enrollment.reconciliation.nightly import Delivered
    from enrollment.services.reconciliation import issue_run_report, reconcile_night

    first = write(tmp_path / "enrollment-20261120.csv", planted_rows())
    cut = write(tmp_path / "enrollment-20261121.csv", second_night_rows()[:3], trailer=6)
    done = reconcile_night(actor=system_user(), extracts=[Delivered(NIGHT, first), Delivered(NEXT_NIGHT, cut)])
    assert [(r.run.run_date, r.status) for r in done] == [(NIGHT, "SUCCEEDED"), (NEXT_NIGHT, "REJECTED")]
    letters = LetterRecord.objects.filter(kind=KIND)
    assert sorted(letters.values_list("object_id", flat=True)) == sorted(str(r.run.pk) for r in done)
    assert issue_run_report(actor=system_user(), run=done[0].run).pk == letters.get(object_id=str(done[0].run.pk)).pk
