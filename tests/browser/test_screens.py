"""Every screen (issue 14, item 8): body text at 15–16 px; on a 390 px phone the application queue
does not scroll sideways as a whole, its table scrolls in its own box; at 1024 px case numbers and
dates stay on one line; the language switch needs its button and keeps a half-filled form until the
clerk confirms."""

from datetime import date

import pytest
from playwright.sync_api import expect

from enrollment.models import Application
from enrollment.services import applications as svc
from tests.factories import EmployerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(clerk):
    # Long names squeeze the other columns to their narrowest, where a case number or a date would
    # break at its hyphens.
    # Submitted, so that they are cases in hand (the queue's first tab) with a due date.
    employer = EmployerFactory(name="示范市泰和东方建设集团有限公司第一分公司江北新区高新技术产业开发区项目部" * 2)
    return [svc.submit_application(actor=clerk, application=svc.create_application(
        actor=clerk, kind=Application.Kind.ADD_PERSONS, applicant_name="欧阳经办人员代理人员（受单位委托办理参保登记增员手续）",
        employer_code=employer.uscc, effective_date=date(2026, 12, 1))) for _ in range(3)]


def sized(browser, live_server, width, height=844):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def log_in(page, user):
    from tests.conftest import PASSWORD

    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_body_text_is_15_to_16_px(page, login, clerk, queue):
    login(clerk)
    page.goto("/enrollment/applications/")
    for selector in ("body", "table.list td", "main p, main label, main a"):
        size = page.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert 15 <= size <= 16, (selector, size)


def test_on_a_phone_the_queue_scrolls_inside_its_table_not_the_page(browser, live_server, clerk, queue):
    context, page = sized(browser, live_server, 390)
    try:
        log_in(page, clerk)
        page.goto("/enrollment/applications/")
        expect(page.locator("table.list")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no page-wide sideways scroll
        table = page.locator("table.list")
        box = table.evaluate("t => ({scroll: t.scrollWidth, client: t.clientWidth, "
                             "overflow: getComputedStyle(t).overflowX})")
        assert box["scroll"] > box["client"] and box["overflow"] == "auto"  # the table scrolls in its box
        for path in ("/enrollment/persons/?q=张", "/enrollment/employers/", "/", "/enrollment/applications/new/"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        context.close()


def one_line(locator) -> bool:
    return locator.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e); "
                            "const lines = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))); "
                            "return lines.size === 1; }")


def test_at_1024_px_case_numbers_and_dates_stay_on_one_line(browser, live_server, clerk, queue):
    context, page = sized(browser, live_server, 1024, 768)
    try:
        log_in(page, clerk)
        page.goto("/enrollment/applications/")
        rows = page.locator("table.list tbody tr")
        expect(rows).to_have_count(3)
        for i in range(3):
            number = rows.nth(i).locator("td").nth(0).locator("a")
            due = rows.nth(i).locator("td").nth(5)
            assert one_line(number), number.inner_text()
            assert one_line(due), due.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    finally:
        context.close()


def test_the_language_switch_keeps_a_half_filled_form_until_confirmed(page, login, clerk):
    login(clerk)
    page.goto("/enrollment/applications/new/?kind=ADD_PERSONS")
    page.fill("#id_applicant_name", "张经办")
    page.fill("#id_effective_date", "2026-12-01")

    # Arrow keys on the language list change the choice, not the page.
    page.focus("#lang-select")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#id_applicant_name")).to_have_value("张经办")

    # The button asks first; saying no keeps the form as it is.
    page.select_option("#lang-select", "en")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.click("#lang-switch")
    page.wait_for_timeout(500)
    assert len(dialogs) == 1
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#id_applicant_name")).to_have_value("张经办")
    expect(page.locator("#id_effective_date")).to_have_value("2026-12-01")

    # Confirmed, it switches.
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_without_a_changed_form_the_switch_does_not_ask(page, login, clerk):
    login(clerk)
    page.goto("/enrollment/persons/")
    page.fill("#id_q", "王")  # a search box is no form to lose
    page.select_option("#lang-select", "en")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with page.expect_navigation():
        page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert dialogs == []
