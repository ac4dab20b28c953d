"""API plumbing shared by every app: pagination, parsers, the one error shape and its schema.

Errors are JSON {"code", "message"} (and "errors": row/column/message for a rejected file or
field, "request_id" for a 500), as ../shared/spec/claims-upload.md says. The exception handler
here covers errors raised inside a view; core.error_views covers the rest under /api/ (an unknown
URL, a 500, a NUL character refused by core.middleware). The schema's `Error` component describes
them all; core.schema.AutoSchema documents the status codes every endpoint can answer, and
core.parsers refuses a NUL character in a request body.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


# -- the one error shape ---------------------------------------------------------------------

class ErrorItemSerializer(serializers.Serializer):
    """One problem: which field (column) and, for a file, which row or line."""

    row = serializers.IntegerField(required=False, allow_null=True, help_text="The file's row, from 1.")
    line = serializers.IntegerField(required=False, allow_null=True, help_text="The line of a list, from 1.")
    column = serializers.CharField(required=False, allow_null=True,
                                   help_text="The field, parameter or column; null for the request as a whole.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers: a stable code and a message in the caller's language."""

    code = serializers.CharField(help_text="Stable: not_authenticated, permission_denied, not_found, invalid, "
                                           "conflict, invalid_transition, concurrent_edit, …")
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True, required=False, help_text="Each problem, for invalid data or files.")
    request_id = serializers.CharField(required=False, help_text="For a server error: quote it when you report it.")


def error_response(description: str) -> OpenApiResponse:
    """A documented error status: the `Error` component with what this status means here."""
    return OpenApiResponse(ErrorSerializer, description=description)


# -- the exception handler -------------------------------------------------------------------

_CODES = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.ValidationError: "invalid",
    drf.ParseError: "parse_error",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "throttled",
}


def _flatten(detail, prefix="") -> list[dict]:
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            out.extend(_flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
        return out
    if isinstance(detail, list):
        out = []
        for item in detail:
            out.extend(_flatten(item, prefix))
        return out
    return [{"column": prefix or None, "message": str(detail)}]


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's handler500 (core.error_views) answers JSON with a request id
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, drf.ValidationError):
        body = {"code": code, "message": _("Some of the data is not valid."), "errors": _flatten(exc.detail)}
    else:
        body = {"code": code, "message": str(getattr(exc, "detail", exc))}
    response.data = body
    return response
