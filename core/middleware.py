import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .context import request_id
from .errors import DomainError, NotFound

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestIdMiddleware:
    """Gives each request an id (or keeps the proxy's X-Request-ID) for the audit trail and logs.

    A proxy's id is kept only when it is a plain token (letters, digits, ``._:-``, at most 64):
    it is stored with every audit entry and shown on the error page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class NulCharacterMiddleware:
    """A NUL character in the address (path, query parameter name or value) is a 400, never a 500.

    PostgreSQL cannot store NUL in text, and psycopg refuses to send it: any view that looked up
    or filtered by such a value would fail with a DataError. Refusing it here, before any view or
    form sees it, covers every page and endpoint at once. A cookie holding NUL (a forged session
    key would reach the database too) is dropped, as if it had not been sent.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in [n for n, v in request.COOKIES.items() if NUL in n or NUL in v]:
            del request.COOKIES[name]
        errors = self.nul_errors(request)
        if errors:
            from .error_views import bad_request

            with translation.override(office_language(request)):
                return bad_request(request, code="invalid", message=_("NUL characters are not allowed."),
                                   errors=errors)
        return self.get_response(request)

    @staticmethod
    def nul_errors(request) -> list[dict]:
        errors = []
        if NUL in request.path or NUL in request.path_info:
            errors.append({"column": None, "message": str(_("The address holds a NUL character."))})
        for key, values in request.GET.lists():
            if NUL in key or any(NUL in v for v in values):
                errors.append({"column": key.replace(NUL, ""),
                               "message": str(_("The parameter holds a NUL character."))})
        return errors


NUL = "\x00"


def office_language(request) -> str:
    """The language a page is shown in: the one chosen with the language switch, else the office's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class DomainErrorMiddleware:
    """Shows a domain error that a page did not handle itself as a message, never as a 500.

    Not-found becomes a plain 404 (not yours looks like not there). Other errors go back to
    the page the user came from with the message, or render an error page with the status.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            raise Http404(str(exception.message))
        referer = request.META.get("HTTP_REFERER", "")
        if request.method == "POST" and referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, exception.message)
            return redirect(referer)
        return render(request, "error.html", {"error": exception}, status=exception.status)


class OfficeLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise with the language switch (its cookie).

    The office's language is Chinese: a browser that happens to ask for English (Accept-Language)
    still gets Chinese until its user picks English.
    """

    def process_request(self, request):
        translation.activate(office_language(request))
        request.LANGUAGE_CODE = translation.get_language()
