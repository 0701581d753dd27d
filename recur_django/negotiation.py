"""HTML-or-JSON decisions and the JSON error shape shared by the views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse


def wants_json(request: HttpRequest) -> bool:
    """True for JSON bodies, XHR, or an ``Accept`` header preferring JSON over HTML."""
    if (request.content_type or "").startswith("application/json"):
        return True
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return True
    if "Accept" not in request.headers:
        return False
    preferred = request.get_preferred_type(["text/html", "application/json"])
    return preferred == "application/json"


def json_error(code: str, message: Any, status: int, **extra: Any) -> JsonResponse:
    """``{"error": {"code", "message"}}`` with ``status``."""
    body: dict[str, Any] = {"code": code, "message": str(message)}
    body.update(extra)
    return JsonResponse({"error": body}, status=status)
