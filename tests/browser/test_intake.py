"""A clerk takes in an add-persons application with a material missing, prints the one-time notice,
takes the missing material in and resubmits; a reviewer approves it. Through the real pages, in
Chromium at 1366×768, selecting by names and addresses so the test holds in either language."""

import re
import subprocess

import pytest
from django.utils import translation

from enrollment import materials
from enrollment.kinds import spec_for
from enrollment.models import Application
from tests.enrollment.test_applications import new_id_numbers, roster_bytes
from tests.factories import EmployerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _press(page, action: str):
    """Press the button of the form that posts to the case's `action` (keyboard: focus, Enter)."""
    button = page.locator(f'form[action$="/{action}/"] button[type=submit]')
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_clerk_takes_in_prints_the_notice_completes_and_a_reviewer_approves(page, login, clerk, reviewer, tmp_path):
    employer = EmployerFactory(name="示范市华信科技有限公司")
    login(clerk)

    # Intake: choose the kind, fill the form, tick two of the three materials.
    page.goto("/enrollment/applications/new/")
    page.click('a[href$="?kind=ADD_PERSONS"]')
    page.fill("#id_applicant_name", "张经办")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_applicant_phone"  # focus follows the form
    page.fill("#id_employer_code", employer.uscc)
    page.fill("#id_effective_date", "2026-12-01")
    page.check('input[name=provided][value=staff_roster]')
    page.check('input[name=provided][value=id_copies]')
    page.click('form.card button[type=submit]')
    page.wait_for_url(re.compile(r"/enrollment/applications/\d+/$"))
    app = Application.objects.get()
    assert app.status == "DRAFT"

    # The staff list, then submit and issue the one-time notice.
    numbers = new_id_numbers(2)
    csv_path = tmp_path / "花名册.csv"
    csv_path.write_bytes(roster_bytes([(numbers[0], "张三", "13800138000"), (numbers[1], "李四", "")],
                                      encoding="gb18030"))
    page.set_input_files("input[name=file]", str(csv_path))
    _press(page, "roster")
    assert page.locator("#roster-entries tbody tr").count() == 2
    assert numbers[0] not in page.content()  # masked on the page
    _press(page, "submit")
    _press(page, "notice")
    app.refresh_from_db()
    assert app.status == "INCOMPLETE"

    # Print the notice: the PDF the page links to lists exactly the missing item.
    href = page.locator('a[href*="/letters/"]').first.get_attribute("href")
    pdf = page.request.get(href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf.body(), capture_output=True,
                          check=True).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    with translation.override("zh-hans"):  # the browser asks for Chinese
        labels = {code: re.sub(r"\s+", "", materials.material_label(code)) for code in
                  spec_for("ADD_PERSONS").checklist}
    assert labels["labour_contracts"] in flat
    assert labels["staff_roster"] not in flat and labels["id_copies"] not in flat
    assert app.number in flat and "张经办" in flat

    # The applicant brings the contracts: tick them and resubmit.
    page.check('input[name=state_labour_contracts][value=PROVIDED]')
    with page.expect_navigation():
        page.locator('form[action$="/materials/"] button[type=submit]').click()
    _press(page, "resubmit")
    app.refresh_from_db()
    assert app.status == "RESUBMITTED" and app.due_date is not None

    # A reviewer starts the review and approves.
    page.context.clear_cookies()
    login(reviewer)
    page.goto(f"/enrollment/applications/{app.pk}/")
    _press(page, "review")
    page.fill("#id_note", "材料齐全，同意增员。")
    with page.expect_navigation():
        page.locator('form[action$="/approve/"] button[type=submit]').click()
    app.refresh_from_db()
    assert app.status == "UNDER_REVIEW"  # the confirmation page first
    with page.expect_navigation():
        page.locator('[data-step="confirm-approve"]').click()
    app.refresh_from_db()
    assert app.status == "REGISTERED" and app.decided_by == reviewer
    assert page.locator('a[href*="/letters/"]').count() == 2  # the notice and the approval
    page.screenshot(path=str(tmp_path / "approved.png"), full_page=True)
