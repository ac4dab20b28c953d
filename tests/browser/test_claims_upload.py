"""A provider uploads a claims file with errors, downloads the error report, corrects the file, uploads it
again and sees it accepted with its claims. Through the real pages, in Chromium at 1366×768, selecting by
ids and addresses so the test holds in either language."""

import csv
import io
import re

import pytest

from core.providers import grant_provider_access
from settlement.models import ClaimBatch
from tests.factories import ProviderFactory
from tests.settlement.files import csv_bytes, line

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(page, path, period="2026-10"):
    page.fill("#id_upload-period", period)
    page.set_input_files("#id_upload-file", str(path))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")


def test_a_provider_corrects_a_rejected_file_from_its_error_report(page, login, provider_user, tmp_path):
    provider = ProviderFactory(code="H32019201", name="示范市丙医院")
    grant_provider_access(user=provider_user, provider=provider, actor=None)
    login(provider_user)
    page.goto("/settlement/batches/")

    # A file with two mistakes, in GB18030 as many hospital systems write it.
    bad = tmp_path / "十月结算.csv"
    bad.write_bytes(csv_bytes([line("C001", 1), line("C001", 2, amount="26.00"),
                               line("C002", 1, admission_date="2026-10-32", service_date="2026-10-08")],
                              encoding="gb18030"))
    _upload(page, bad)
    page.wait_for_url(re.compile(r"/settlement/batches/\d+/$"))
    assert page.get_attribute("#batch-status", "data-status") == "rejected"
    assert page.locator("#batch-errors tbody tr").count() == 2

    # The error report: every error, row and column, ready to open in a spreadsheet.
    href = page.get_attribute("#error-report", "href")
    report = page.request.get(href)
    assert report.ok and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(report.body().decode("utf-8-sig"))))
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "amount"), ("4", "admission_date")]

    # The corrected file is accepted, and its claims are shown.
    good = tmp_path / "十月结算-改.csv"
    good.write_bytes(csv_bytes([line("C001", 1), line("C001", 2), line("C002", 1)], encoding="gb18030"))
    page.goto("/settlement/batches/")
    _upload(page, good)
    page.wait_for_url(re.compile(r"/settlement/batches/\d+/$"))
    assert page.get_attribute("#batch-status", "data-status") == "reviewed"
    assert page.locator("#batch-claims tbody tr").count() == 2
    assert "75.00" in page.inner_text("#batch-status-box")
    # its findings with their explanations, and a claim's calculation step by step
    assert page.locator('#batch-findings tbody tr[data-rule="ELIG_NOT_INSURED"]').count() == 2
    page.click("#batch-claims tbody tr:first-child a")
    page.wait_for_selector("#claim-calculation")
    assert page.locator('#claim-calculation tr[data-step="personal"]').count() == 1
    page.go_back()

    page.goto("/settlement/batches/")
    assert page.locator("#batches tbody tr").count() == 2
    assert list(ClaimBatch.objects.order_by("id").values_list("status", flat=True)) == ["rejected", "reviewed"]
    page.screenshot(path=str(tmp_path / "accepted.png"), full_page=True)
