"""A clerk ticks three discrepancies, asks to take the agency's values, reads the preview (each person
and field, before and after), proposes; nothing changes. A reviewer finds it from the home page, reads
it, confirms, answers the question; the register changes. Through the real pages, in Chromium at
1366×768, selecting by names and addresses so the test holds in either language."""

import re
from datetime import date

import pytest

from core.masking import mask_id_number
from enrollment.models import Discrepancy, Person, RegisterChangeProposal
from tests.enrollment.test_discrepancy_resolution import (  # noqa: F401  (the fixtures night and register)
    NAME,
    NEW,
    STATUS,
    night_fixture,
    register_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_bulk_take_agency_is_proposed_by_a_clerk_previewed_and_confirmed_by_a_reviewer(
        page, login, night, clerk, reviewer, tmp_path):
    chosen = [night["status"], night["name"], night["missing_local"]]
    login(clerk)
    page.goto("/enrollment/discrepancies/")
    for d in chosen:
        page.check(f'input[name=ids][value="{d.pk}:{d.version}"]')
    page.select_option("#bulk-form select[name=action]", "TAKE_AGENCY")
    page.fill("#bulk-form input[name=note]", "按经办机构数据更正")
    with page.expect_navigation():
        page.click("#bulk-form button[type=submit]")

    # The preview: every person and field, before and after; nothing has changed yet.
    changes = page.locator("#proposal-changes")
    assert changes.locator("tbody.person-change").count() == 3
    text = changes.inner_text()
    for expected in ("钱七", "李思", "李四", "赵六", "2026-09-01", "2020-01-01", mask_id_number(STATUS)):
        assert expected in text, expected
    assert STATUS not in page.content()  # identity numbers masked
    assert Person.objects.get(id_number=NAME).name == "李思" and not RegisterChangeProposal.objects.exists()
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    with page.expect_navigation():
        page.click("#propose-form button[type=submit]")
    page.wait_for_url(re.compile(r"/enrollment/register-changes/\d+/$"))
    proposal = RegisterChangeProposal.objects.get()
    assert (proposal.status, proposal.persons, proposal.note) == ("PROPOSED", 3, "按经办机构数据更正")
    assert page.locator("form.decide-confirm").count() == 0  # the proposer cannot confirm it
    assert Person.objects.get(id_number=NAME).name == "李思"

    # A reviewer finds it on the home page, reads it and confirms it.
    page.context.clear_cookies()
    login(reviewer)
    page.goto("/")
    with page.expect_navigation():
        page.click('a[href$="/enrollment/register-changes/?tab=for_me"]')
    with page.expect_navigation():
        page.click(f'a[href="/enrollment/register-changes/{proposal.pk}/"]')
    assert page.locator("#proposal-changes tbody.person-change").count() == 3
    with page.expect_navigation():
        page.click("form.decide-confirm button[type=submit]")
    proposal.refresh_from_db()
    assert proposal.status == "PROPOSED"  # asked first
    with page.expect_navigation():
        page.click('form input[name=confirmed][value="1"] >> xpath=.. >> button[type=submit]')
    page.wait_for_url(re.compile(rf"/enrollment/register-changes/{proposal.pk}/$"))
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == ("CONFIRMED", reviewer)
    status = Person.objects.get(id_number=STATUS)
    assert (status.status, status.status_date) == ("SUSPENDED", date(2026, 9, 1))
    assert Person.objects.get(id_number=NAME).name == "李四" and Person.objects.get(id_number=NEW).name == "赵六"
    assert not Discrepancy.objects.filter(pk__in=[d.pk for d in chosen], closed_on__isnull=True).exists()
    page.screenshot(path=str(tmp_path / "confirmed.png"), full_page=True)
