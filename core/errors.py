"""Domain errors: a stable code, a translatable message, an HTTP status.

Services raise them; the DRF exception handler (core.api) and the page middleware
(core.middleware) map them to responses in one place each.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    status = 400
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code=None, errors=None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.errors = errors or []
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message)}
        if self.errors:
            body["errors"] = [{k: str(v) if k == "message" else v for k, v in e.items()} for e in self.errors]
        return body


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400
    default_message = _("Some of the data is not valid.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You are not allowed to do this.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("This conflicts with the current state.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _("This step is not allowed from the current state.")


class ConcurrentEdit(Conflict):
    code = "concurrent_edit"
    default_message = _("Someone else changed this record while you were editing it. Reload and try again.")


class TooLarge(DomainError):
    code = "too_large"
    status = 413
    default_message = _("The file is too large.")


class UnreadableFile(DomainError):
    """A file that cannot be read as a table: damaged, in an unknown encoding, or built to take
    unbounded time or memory. `code` says which (core.tabular lists them); `errors` locate it
    (row or line, column, message)."""

    code = "unreadable_file"
    status = 400
    default_message = _("The file could not be read.")
