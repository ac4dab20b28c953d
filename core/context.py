"""The request id of the current request or task, for audit entries and logs."""

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="")
