"""Unknown ``/v1/`` paths answer the JSON envelope, not an HTML 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from recur_django.emulator.api.errors import error_response


@csrf_exempt
def unknown_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(404, "resource_not_found", f"Unknown endpoint: {request.path}.")
