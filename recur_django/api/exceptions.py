"""One error shape for the REST API: ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from recur_django.exceptions import BillingForbidden

logger = logging.getLogger("recur_django.api")


def _message(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return "; ".join(_message(item) for item in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_message(value)}" for key, value in detail.items())
    return str(detail)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return str(exc.default_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler of the recur API views (not installed globally)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, BillingForbidden):
        exc = exceptions.PermissionDenied(str(exc.message), code=exc.code)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    error: dict[str, Any]
    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        error = {"code": "invalid_request", "message": _message(exc.detail)}
        if isinstance(exc.detail, dict):
            error["fields"] = exc.detail
    else:
        message = _message(exc.detail)
        code = _code(exc)
        if isinstance(exc, exceptions.PermissionDenied) and message.startswith("CSRF Failed"):
            code = "csrf_failed"
        error = {"code": code, "message": message}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status_code = status.HTTP_401_UNAUTHORIZED
        view = context.get("view")
        request = context.get("request")
        header = view.get_authenticate_header(request) if view and request else None
        if header:
            headers["WWW-Authenticate"] = header
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(math.ceil(wait))
    if status_code >= 500:
        logger.error("API error %s: %s", error["code"], error["message"])
    return Response({"error": error}, status=status_code, headers=headers)
