"""The API's error envelope: ``{"error": {"type", "code", "message"}}``."""

from __future__ import annotations

from django.http import JsonResponse

_TYPES = {401: "authentication_error", 403: "invalid_request_error", 429: "rate_limit_error"}


def error_type(status: int) -> str:
    if status in _TYPES:
        return _TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


class ApiError(Exception):
    """Raised anywhere in an API view; rendered as the documented error envelope."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    body = {"error": {"type": error_type(status), "code": code, "message": message}}
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "resource_not_found", f"No such {what}: {ident!r}.")
