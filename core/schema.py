"""The OpenAPI schema's view of errors: every status an endpoint answers, described by `Error`."""

from django.utils.translation import gettext as _
from drf_spectacular import openapi
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated

from .api import error_response


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema plus the error statuses every endpoint can answer.

    400 everywhere (a NUL character in the address is refused before any view, and bodies and
    filters are validated); 401 where a login is needed; 403 where a role or permission is checked,
    or for a write (CSRF under session authentication); 404 where the path names an object or the
    list is paged (a page past the end); 415 where a body is read (an undocumented media type). A view documents its own further statuses (409, 413) and
    may give any of these a more precise description. Every 4xx/5xx is the `Error` component.
    """

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        defaults = {"400": _("The request is not valid: every problem is listed in `errors`.")}
        permissions = list(getattr(self.view, "permission_classes", []))
        if not all(issubclass(p, AllowAny) for p in permissions):
            defaults["401"] = _("No credentials, or credentials that are not valid.")
            if self.method not in SAFE_METHODS or not all(issubclass(p, IsAuthenticated) for p in permissions):
                defaults["403"] = _("Your role may not do this.")
        if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
            defaults["404"] = _("No such object, or not yours to see (or a page past the end).")
        if "requestBody" in operation:
            defaults["415"] = _("The body is not in one of the documented media types.")
        for code, description in defaults.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(error_response(str(description)), code)
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                response.update(self._get_response_for_code(
                    error_response(response.get("description", "")), code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation
