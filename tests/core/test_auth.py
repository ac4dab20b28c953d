"""Login, logout, lockout after repeated failures, and the idle session limit."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def _login(client, username, password, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def test_login_with_the_right_password_opens_the_home_page(client, clerk):
    response = _login(client, clerk.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["user"] == clerk


def test_login_with_a_wrong_password_stays_on_the_login_page(client, clerk):
    response = _login(client, clerk.username, "not-the-password", HTTP_COOKIE="django_language=en")
    assert response.status_code == 200
    assert "The user name or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username=clerk.username, failures_since_start=1).exists()


def test_logout_is_a_post_that_ends_the_session(client, clerk):
    _login(client, clerk.username, PASSWORD)
    assert client.get(reverse("logout")).status_code == 405  # a link or a prefetch cannot log anyone out
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    again = client.get(reverse("home"))
    assert again.status_code == 302 and again["Location"].startswith(LOGIN)


def test_repeated_failed_logins_lock_the_account_out(client, clerk, clerk2, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _login(client, clerk.username, "wrong").status_code == 200
    locked = _login(client, clerk.username, "wrong", HTTP_COOKIE="django_language=en")
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "Too many failed logins" in locked.content.decode()

    # Now even the right password is refused, and no session is opened.
    right = _login(client, clerk.username, PASSWORD, HTTP_COOKIE="django_language=en")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session

    # The lockout is per user name and address: a colleague at the same window can still log in.
    assert _login(client, clerk2.username, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off_time(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, clerk.username, "wrong")
    assert _login(client, clerk.username, PASSWORD).status_code == 429
    AccessAttempt.objects.filter(username=clerk.username).update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * timedelta(hours=1) - timedelta(minutes=1))
    assert _login(client, clerk.username, PASSWORD).status_code == 302


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_idle_longer_than_the_limit_ends(client, clerk, settings):
    _login(client, clerk.username, PASSWORD)
    left = _session(client).expire_date - timezone.now()
    assert abs(left - timedelta(seconds=settings.SESSION_COOKIE_AGE)) < timedelta(minutes=1)

    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_each_request_restarts_the_idle_clock(client, clerk, settings):
    _login(client, clerk.username, PASSWORD)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    left = Session.objects.get(pk=key).expire_date - timezone.now()
    assert left > timedelta(seconds=settings.SESSION_COOKIE_AGE) - timedelta(minutes=1)
    # The cookie itself ends with the browser.
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""
    assert response.cookies[settings.SESSION_COOKIE_NAME]["expires"] == ""
