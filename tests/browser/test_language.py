"""A clerk sees the site in Simplified Chinese, switches to English with the language select and its button."""

from urllib.parse import urlparse

from playwright.sync_api import expect


def test_a_clerk_sees_chinese_and_switches_to_english(page, login, clerk):
    login(clerk)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("欢迎，王芳")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="首页")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()

    page.select_option("#lang-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")  # choosing is not switching yet
    with page.expect_navigation():
        page.click("#lang-switch")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Welcome, 王芳")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert urlparse(page.url).path == "/"  # back on the page the switch was made from

    # The choice is kept for the next page.
    page.goto("/verify/")
    expect(page.locator("h1")).to_have_text("Verify a letter")
