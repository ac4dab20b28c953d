"""Intake picks the employer from a list as the clerk types a part of its name: with the keyboard at
1366×768, and with a tap on a 390 px phone. Selecting by ids and roles, so it holds in either language."""

import re

import pytest
from playwright.sync_api import expect

from enrollment.models import Application
from tests.factories import EmployerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def employers():
    return {name: EmployerFactory(name=name) for name in
            ("示范市泰和东方科技有限公司", "示范市东方泰和商贸有限公司", "示范市华信科技有限公司")}


def fill_the_rest(page):
    page.fill("#id_applicant_name", "张经办")
    page.fill("#id_effective_date", "2026-12-01")


def test_a_clerk_picks_the_employer_by_part_of_its_name_with_the_keyboard(page, login, clerk, employers):
    target = employers["示范市泰和东方科技有限公司"]
    login(clerk)
    page.goto("/enrollment/applications/new/?kind=ADD_PERSONS")
    fill_the_rest(page)
    box = page.locator("#id_employer_code")
    expect(box).to_have_attribute("role", "combobox")
    box.focus()
    page.keyboard.type("泰和")
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(2)  # 泰和东方 and 东方泰和, not 华信
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("东方")  # narrow it down: 泰和东方
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r".+"))
    page.keyboard.press("Enter")  # picks; does not send the form
    expect(box).to_have_value(target.uscc)
    expect(page.locator("#id_employer_code-picked")).to_have_text(target.name)
    expect(listbox).to_be_hidden()
    assert not Application.objects.exists()
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert re.search(r"/enrollment/applications/\d+/$", page.url)
    assert Application.objects.get().employer == target


def test_escape_closes_the_list_and_arrows_wrap(page, login, clerk, employers):
    login(clerk)
    page.goto("/enrollment/applications/new/?kind=ADD_PERSONS")
    box = page.locator("#id_employer_code")
    box.focus()
    page.keyboard.type("有限公司")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(3)
    page.keyboard.press("ArrowUp")  # from nothing up to the last
    expect(options.nth(2)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")  # and round to the first
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(box).to_have_value("有限公司")


def test_on_a_phone_the_clerk_taps_the_employer(browser, live_server, clerk, employers):
    from tests.conftest import PASSWORD

    target = employers["示范市华信科技有限公司"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login/")
        page.fill("#id_username", clerk.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        page.goto("/enrollment/applications/new/?kind=ADD_PERSONS")
        fill_the_rest(page)
        page.locator("#id_employer_code").tap()
        page.keyboard.type("华信")
        option = page.get_by_role("listbox").get_by_role("option").first
        expect(option).to_contain_text(target.name)
        option.tap()
        expect(page.locator("#id_employer_code")).to_have_value(target.uscc)
        expect(page.locator("#id_employer_code-picked")).to_have_text(target.name)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
