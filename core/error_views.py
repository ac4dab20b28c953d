"""The site's error responses: 400, 403, 404 and 500, for pages and for the API.

Under /api/ every error is JSON {"code", "message"} (the same shape as core.api's exception
handler); elsewhere it is a page in the office's language with the site's header and a way back.
config/urls.py names these as Django's handler400/403/404/500; settings.CSRF_FAILURE_VIEW names
csrf_failure.

The 500 page is rendered without the request's context processors (they read the database, which
may be what failed) and, should even that fail, falls back to a fixed page.
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX) or request.path.startswith(API_PREFIX)


def api_error(status: int, code: str, message: str, **extra) -> JsonResponse:
    """An API error response with the one error shape ({code, message[, errors, request_id]})."""
    return JsonResponse({"code": code, "message": str(message), **extra}, status=status,
                        json_dumps_params={"ensure_ascii": False})


@requires_csrf_token
def bad_request(request, exception=None, *, code="bad_request", message=None, errors=None):
    message = message or _("The request could not be understood.")
    if is_api(request):
        return api_error(400, code, message, **({"errors": errors} if errors else {}))
    return render(request, "400.html", {"message": message, "errors": errors or []}, status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    message = _("You are not allowed to do this.")
    if is_api(request):
        return api_error(403, "permission_denied", message)
    return render(request, "403.html", {"message": message}, status=403)


@requires_csrf_token
def csrf_failure(request, reason=""):
    message = _("The form had expired or came from elsewhere. Go back, reload the page and try again.")
    if is_api(request):
        return api_error(403, "csrf_failed", message)
    return render(request, "403.html", {"message": message}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api(request):
        return api_error(404, "not_found", _("Not found."))
    return render(request, "404.html", {"path": request.path}, status=404)


def server_error(request):
    """A 500 that reads no database: JSON with the request id under /api/, else a plain page."""
    request_id = getattr(request, "request_id", "")
    message = _("Something went wrong on our side. It has been logged; quote the reference %(ref)s "
                "when you report it.") % {"ref": request_id or "-"}
    if is_api(request):
        return api_error(500, "server_error", message, request_id=request_id)
    try:
        # No request: the context processors (navigation, roles) would read the database.
        body = loader.get_template("500.html").render({"request_id": request_id, "message": message,
                                                       "office_name": settings.OFFICE_NAME})
    except Exception:
        logger.exception("The 500 page could not be rendered")
        body = ("<!DOCTYPE html><html lang=\"zh-hans\"><head><meta charset=\"utf-8\"><title>500</title></head>"
                f"<body><h1>500</h1><p>{escape(request_id)}</p><p><a href=\"/\">/</a></p></body></html>")
    return HttpResponse(body, status=500)
