"""Reading Recur's answers: the JSON of a success, or the RecurError of a failure.

Error bodies are read tolerantly: Recur's envelope ``{"error": {"code", "message",
"type", "request_id"}}``, a bare ``{"error": "code", "message": …}``, or anything else
(an HTML proxy page, an empty body), which yields a message built from the status.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import requests

from recur_django.client.errors import APIError, RecurError, error_class_for_status

__all__ = ["decode_success", "error_from_response", "parse_retry_after"]

_DEFAULT_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "resource_not_found",
    409: "conflict",
    422: "invalid_request",
    429: "rate_limited",
}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now if now is not None else time.time()
        seconds = when.timestamp() - current
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def decode_success(response: requests.Response) -> Any:
    """The decoded JSON of a 2xx answer (``{}`` when empty); APIError when not JSON."""
    content = response.content
    if not content or not content.strip():
        return {}
    try:
        return json.loads(content)
    except ValueError:
        raise APIError(
            f"Recur answered HTTP {response.status_code} with a body that is not JSON.",
            status=response.status_code,
            code="invalid_response",
            request_id=_request_id(response.headers, None),
        ) from None


def error_from_response(
    response: requests.Response, scrub: Callable[[str], str] = str
) -> RecurError:
    """The exception for a non-2xx answer, tolerating any body.

    ``scrub`` removes the secret key from the message (Recur may echo it back).
    """
    status = response.status_code
    payload: Any = None
    content = response.content
    if content and content.strip():
        try:
            payload = json.loads(content)
        except ValueError:
            payload = None
    code: str | None = None
    message: str | None = None
    error_type: str | None = None
    body_request_id: str | None = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            code = _as_text(error.get("code"))
            message = _as_text(error.get("message"))
            error_type = _as_text(error.get("type"))
            body_request_id = _as_text(error.get("request_id"))
        elif isinstance(error, str):
            code = error
        message = message or _as_text(payload.get("message"))
        if message is None and isinstance(payload.get("details"), str):
            message = payload["details"]
        body_request_id = body_request_id or _as_text(payload.get("request_id"))
    if not message:
        message = _fallback_message(response, payload, content)
    return error_class_for_status(status)(
        scrub(message),
        status=status,
        code=code or _DEFAULT_CODES.get(status, "api_error"),
        error_type=error_type,
        request_id=_request_id(response.headers, body_request_id),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _request_id(headers: Mapping[str, str], fallback: str | None) -> str | None:
    for name in ("X-Request-Id", "Request-Id", "X-Recur-Request-Id"):
        value = headers.get(name)
        if value:
            return value
    return fallback


def _fallback_message(response: requests.Response, payload: Any, content: bytes) -> str:
    reason = response.reason or ""
    base = f"Recur answered HTTP {response.status_code}" + (f" {reason}" if reason else "")
    if not content or not content.strip():
        return base + " with an empty body."
    content_type = response.headers.get("Content-Type", "")
    if payload is None and "html" not in content_type.lower():
        snippet = content[:200].decode("utf-8", "replace").strip()
        if snippet and not snippet.lstrip().startswith("<"):
            return f"{base}: {snippet}"
    return base + " with a body the client could not read as a Recur error."
