"""Chinese is the office's language: a browser asking for English still gets Chinese until its user
chooses English with the language switch."""

import pytest


@pytest.mark.django_db
def test_chinese_by_default_whatever_the_browser_asks_for_and_english_when_chosen(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page and "登录" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in page and "Log in" in page


def test_only_the_page_being_shown_is_marked_current_in_the_navigation(clerk, client_for):
    page = client_for(clerk).get("/enrollment/applications/new/").content.decode()
    assert page.count('aria-current="page"') == 1
    assert 'href="/enrollment/applications/new/" aria-current="page"' in page
