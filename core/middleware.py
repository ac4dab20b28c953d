import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from .context import request_id
from .errors import DomainError, NotFound


class RequestIdMiddleware:
    """Gives each request an id (or keeps the proxy's X-Request-ID) for the audit trail and logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


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
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
