"""Errors as users and clients expect (issue 13, item 9).

Under /api/ every error is JSON {code, message} (an unknown URL, a non-numeric id, a wrong
method, a bug); pages show 400, 403, 404 and 500 in the office's language with the site's header
and a way home; a NUL character or an out-of-range time-zone offset is a 400, never a 500.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.audit import record
from core.error_views import server_error
from core.models import AuditEntry

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/core/whoami/"
AUDIT = "/api/v1/core/audit-entries/"
APPLICATIONS = "/api/v1/enrollment/applications/"


def token_client(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def page_client(user=None, language=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def assert_site_page(response, status: int, language="zh-hans") -> str:
    """The site's page: its header (the brand, linking home) and a link home in the page itself."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert '<header class="topbar">' in html and '<a class="brand" href="/">' in html
    home = "首页" if language == "zh-hans" else "Home"
    assert re.search(rf'<main id="main".*<a href="/">{home}</a>', html, re.S), "no way home in the page"
    return html


# -- the API: always {code, message} -----------------------------------------------------------

@pytest.mark.parametrize("url", [
    f"{AUDIT}abc/", f"{APPLICATIONS}abc/", f"{APPLICATIONS}1x/submit/", "/api/v1/enrollment/persons/x/",
    "/api/v1/enrollment/employers/%E5%BC%A0/staff/", "/api/v1/no-such-thing/", "/api/v2/", "/api/",
])
def test_an_unknown_api_url_or_a_non_numeric_id_is_a_json_404(url, supervisor):
    for client in (APIClient(), token_client(supervisor)):
        body = assert_json_error(client.get(url), 404, "not_found")
        assert set(body) == {"code", "message"}


def test_a_method_an_endpoint_lacks_is_a_json_405(clerk):
    assert_json_error(token_client(clerk).put(WHOAMI, {}, format="json"), 405, "method_not_allowed")
    assert_json_error(token_client(clerk).delete(f"{APPLICATIONS}1/"), 405, "method_not_allowed")


@pytest.mark.urls("tests.core.urls_errors")
def test_a_bug_in_an_endpoint_is_a_json_500_with_the_request_id(clerk):
    client = token_client(clerk)
    response = client.get("/api/v1/broken/", HTTP_X_REQUEST_ID="proxy-7f3a")
    body = assert_json_error(response, 500, "server_error")
    assert body["request_id"] == "proxy-7f3a" == response["X-Request-ID"]
    assert "proxy-7f3a" in body["message"]
    generated = client.get("/api/v1/broken/")
    assert generated.json()["request_id"] == generated["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated["X-Request-ID"])


@pytest.mark.parametrize("given", ["<script>alert(1)</script>", "a\tb", "x" * 65])
def test_a_request_id_that_is_not_a_plain_token_is_replaced(given, clerk):
    response = page_client(clerk).get("/", HTTP_X_REQUEST_ID=given)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_csrf_failure_on_the_api_is_json(clerk):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(clerk)
    body = assert_json_error(client.post(APPLICATIONS, {}, format="json"), 403, "permission_denied")
    assert "CSRF" in body["message"]


# -- pages: in the office's language, with the header and a way home ---------------------------

@pytest.mark.parametrize("url", ["/no-such-page/", "/enrollment/applications/abc/", "/enrollment/persons/0/"])
def test_an_unknown_page_is_a_404_with_the_site_header(url, clerk):
    html = assert_site_page(page_client(clerk).get(url), 404)
    assert "Not Found</h1><p>The requested resource" not in html  # not Django's bare page
    assert "<nav" in html  # a logged-in user keeps the navigation


def test_the_404_page_without_a_login_and_in_english_on_request():
    assert_site_page(page_client().get("/no-such-page/"), 404)
    html = assert_site_page(page_client(language="en").get("/no-such-page/"), 404, language="en")
    assert "Page not found" in html


def test_a_page_a_role_may_not_open_is_a_403_with_the_site_header(provider_user):
    assert_site_page(page_client(provider_user).get("/supervision/problems/"), 403)


def test_a_csrf_failure_is_a_403_page_with_the_site_header(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    assert_site_page(client.post("/logout/"), 403)


@pytest.mark.urls("tests.core.urls_errors")
def test_a_bug_in_a_page_is_a_500_page_with_the_header_and_the_reference(clerk):
    response = page_client(clerk).get("/broken/", HTTP_X_REQUEST_ID="ref-123")
    html = assert_site_page(response, 500)
    assert "ref-123" in html
    assert 'action="/logout/"' not in html and "lang-form" not in html  # no forms without a request context


def test_the_500_page_reads_no_database():
    """Rendered without the request's context processors: the database may be what failed.
    (No `db` fixture here: pytest-django refuses any query.)"""
    request = RequestFactory().get("/somewhere/")
    request.request_id = "abc123"
    response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "abc123" in html and '<a class="brand" href="/">' in html


def test_the_500_page_falls_back_to_plain_html_when_its_template_fails(monkeypatch):
    from core import error_views

    def broken(name):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(error_views.loader, "get_template", broken)
    request = RequestFactory().get("/somewhere/")
    request.request_id = "<b>x</b>"
    response = server_error(request)
    assert response.status_code == 500
    assert b"&lt;b&gt;x&lt;/b&gt;" in response.content and b"<b>x</b>" not in response.content


# -- a NUL character: 400, never a 500 --------------------------------------------------------

@pytest.mark.parametrize("url", ["/verify/%00", "/verify/?code=%00", "/verify/?code=abc%00def", "/login/?next=%00"])
def test_nul_in_a_public_address_is_a_400_page(url):
    html = assert_site_page(page_client().get(url), 400)
    assert "NUL" in html


@pytest.mark.parametrize("url", [
    "/enrollment/persons/?q=%00", "/enrollment/applications/?q=a%00", "/enrollment/discrepancies/?q=%00",
    "/enrollment/employers/?%00=1", "/enrollment/persons/%00/",
])
def test_nul_in_a_page_address_is_a_400_page(url, clerk):
    assert_site_page(page_client(clerk).get(url), 400)


@pytest.mark.parametrize("url, column", [
    ("/api/v1/enrollment/persons/?q=%00", "q"),
    ("/api/v1/enrollment/employers/?q=x%00y", "q"),
    (f"{APPLICATIONS}?q=%00", "q"),
    (f"{AUDIT}?action=%00", "action"),
    (f"{AUDIT}?since=2026-01-01T00:00:00%00", "since"),
    (f"{WHOAMI}?%00=1", ""),
    ("/api/v1/enrollment/persons/1/?status_on=%00", "status_on"),
    ("/api/v1/%00/", None),
])
def test_nul_in_an_api_address_is_a_json_400_naming_the_parameter(url, column, supervisor):
    body = assert_json_error(token_client(supervisor).get(url), 400, "invalid")
    assert [e["column"] for e in body["errors"]] == [column]


def test_nul_in_a_session_cookie_is_no_session(clerk):
    client = page_client()
    client.cookies["sessionid"] = "\x00" * 32
    response = client.get("/enrollment/persons/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_nul_in_a_json_body_is_a_400(clerk, employer):
    response = token_client(clerk).post(APPLICATIONS, {
        "kind": "ADD_PERSONS", "applicant_name": "张经办", "employer_code": employer.uscc,
        "effective_date": "2026-12-01", "payload": {"note": "a\x00b"}}, format="json")
    assert_json_error(response, 400, "parse_error")
    response = token_client(clerk).post(APPLICATIONS, {"kind": "ADD_PERSONS", "applicant_name": "张\x00"},
                                        format="json")
    assert_json_error(response, 400, "parse_error")


# -- time-zone offsets: 400 when out of range, converted to UTC otherwise ----------------------

@pytest.mark.parametrize("value", [
    "2026-01-01T00:00:00+23:59", "2026-01-01T00:00:00+20:00", "2026-01-01T00:00:00-16:00",
    "2026-01-01T00:00:00+14:01", "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00+99",
    "0001-01-01T00:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
])
@pytest.mark.parametrize("parameter", ["since", "until"])
def test_an_out_of_range_offset_or_instant_in_a_filter_is_a_400(parameter, value, supervisor):
    body = assert_json_error(token_client(supervisor).get(AUDIT, {parameter: value}), 400, "invalid")
    assert [e["column"] for e in body["errors"]] == [parameter]


@pytest.fixture
def entry(supervisor):
    with transaction.atomic():
        record(supervisor, "core.test.noted", ("core.test", "1", "a note"), None, {})
    return AuditEntry.objects.get(action="core.test.noted")


@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "+05:45", "Z"])
def test_a_valid_offset_is_the_same_instant(offset, entry, supervisor):
    client = token_client(supervisor)
    hours, minutes = (0, 0) if offset == "Z" else (int(offset[1:3]), int(offset[4:6]))
    delta = timedelta(hours=hours, minutes=minutes) * (-1 if offset.startswith("-") else 1)

    def at(moment: datetime) -> str:
        local = moment.astimezone(UTC) + delta
        return local.replace(tzinfo=None).isoformat(timespec="microseconds") + offset

    one_ms = timedelta(milliseconds=1)
    assert client.get(AUDIT, {"action": "core.test.noted", "since": at(entry.at - one_ms)}).json()["count"] == 1
    assert client.get(AUDIT, {"action": "core.test.noted", "since": at(entry.at + one_ms)}).json()["count"] == 0


def test_every_date_time_filter_and_form_field_is_offset_safe():
    """The project's filter sets and forms use core.filters' fields, which check the offset (walked)."""
    import django_filters
    from django import forms
    from django.urls import get_resolver

    from core.filters import OffsetSafeMixin

    get_resolver().url_patterns  # noqa: B018 - imports every view, form and filter set

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(django_filters.FilterSet) if not c.__module__.startswith("django_filters")]
    unsafe = [f"{c.__module__}.{c.__name__}.{name}" for c in ours for name, f in c.base_filters.items()
              if issubclass(f.field_class, forms.DateTimeField) and not issubclass(f.field_class, OffsetSafeMixin)]
    forms_ = [c for c in subclasses(forms.BaseForm) if c.__module__.split(".")[0] in
              {"core", "enrollment", "eligibility", "settlement", "disputes", "supervision"}]
    unsafe += [f"{c.__module__}.{c.__name__}.{name}" for c in forms_ for name, f in c.base_fields.items()
               if isinstance(f, forms.DateTimeField) and not isinstance(f, OffsetSafeMixin)]
    assert any(c.__name__ == "AuditEntryFilter" for c in ours)
    assert unsafe == [], "use core.filters.DateTimeField / IsoDateTimeFilter for these"
