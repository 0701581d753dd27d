"""Exceptions raised by the Recur client.

Every failure surfaces as a :class:`RecurError` subclass chosen by HTTP status:

- ``APIConnectionError``: no HTTP response (DNS, refused, timeout, TLS, reset)
- ``InvalidRequestError``: 400, 422, and client-side validation (``status`` None)
- ``AuthenticationError``: 401
- ``PermissionDeniedError``: 403
- ``NotFoundError``: 404
- ``RateLimitError``: 429
- ``APIError``: 5xx, any other status, or an unreadable 2xx body
"""

from __future__ import annotations

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthenticationError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecurError",
    "error_class_for_status",
]


class RecurError(Exception):
    """Base class of every error raised by the client.

    Attributes:
        status: HTTP status, or None when no response was received or the error was
            raised before sending.
        code: machine-readable code from Recur (``resource_not_found``…) or one
            derived from the status when Recur gave none.
        message: human-readable text (never contains the secret key).
        error_type: Recur's ``error.type`` when present (``invalid_request_error``…).
        request_id: the request id header or body field, when Recur sent one.
        retry_after: seconds Recur asked us to wait (429/503), when given.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.error_type = error_type
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        head = []
        if self.status is not None:
            head.append(str(self.status))
        if self.code:
            head.append(self.code)
        text = f"[{' '.join(head)}] {self.message}" if head else self.message
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class APIConnectionError(RecurError):
    """No usable HTTP response: connection refused, DNS, TLS, timeout, reset."""


class AuthenticationError(RecurError):
    """401: the secret key is missing, wrong, or revoked."""


class PermissionDeniedError(RecurError):
    """403: the key is valid but not allowed to do this."""


class InvalidRequestError(RecurError):
    """400/422, or a request rejected by the client before sending."""


class NotFoundError(RecurError):
    """404: the object (or the product it refers to) does not exist."""


class RateLimitError(RecurError):
    """429: too many requests; ``retry_after`` says how long to wait when known."""


class APIError(RecurError):
    """5xx, an unexpected status, or a response the client could not read."""


_BY_STATUS: dict[int, type[RecurError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[RecurError]:
    """The exception class for an HTTP error status."""
    return _BY_STATUS.get(status, APIError)
