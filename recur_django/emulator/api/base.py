"""The one error-handling layer every API view goes through.

Order: injected faults, authentication, method check, JSON body, Idempotency-Key,
then the handler. Any :class:`ApiError` becomes the documented envelope; anything
else is logged and answered 500 ``internal_error`` (never a debug page).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from recur_django.emulator import faults
from recur_django.emulator.api.auth import Caller, authenticate
from recur_django.emulator.api.errors import ApiError, error_response, invalid
from recur_django.emulator.api.params import Params
from recur_django.emulator.models import IdempotencyRecord

logger = logging.getLogger("recur_django.emulator")

MAX_BODY_BYTES = 1024 * 1024
WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})


def ok(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python-only extensions


@method_decorator(csrf_exempt, name="dispatch")
class ApiView(View):
    """Base of the ``/v1/`` views: subclasses define ``get``/``post``/… handlers."""

    http_method_names = ["get", "post", "patch", "delete"]
    #: HTTP methods that also accept a publishable key
    publishable_methods: frozenset[str] = frozenset()
    #: whether injected API faults apply
    faultable = True

    caller: Caller
    body: Params
    query: Params

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return self._dispatch(request, *args, **kwargs)
        except ApiError as exc:
            return exc.response()
        except Exception as exc:
            logger.exception("Emulator API error on %s %s", request.method, request.path)
            # A test double: say what broke (e.g. "database is locked"), so the caller's
            # error message points at the cause instead of a bare 500.
            cause = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            return error_response(
                500, "internal_error", f"The emulator failed unexpectedly ({cause})."
            )

    def _dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        method = (request.method or "GET").upper()
        if self.faultable:
            self._apply_fault()
        self.caller = authenticate(request)
        if not self.caller.is_secret and method not in self.publishable_methods:
            raise ApiError(401, "unauthorized", "This endpoint requires a secret key (sk_…).")
        handler: Callable[..., HttpResponse] | None = getattr(self, method.lower(), None)
        if method.lower() not in self.http_method_names or handler is None:
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed here.")
        self.query = Params(request.GET)
        self.body = Params(self._parse_body(request) if method in ("POST", "PATCH") else {})
        key = request.headers.get("Idempotency-Key", "").strip()
        if key and method in WRITE_METHODS:
            return self._idempotent(request, key, lambda: handler(request, *args, **kwargs))
        return handler(request, *args, **kwargs)

    def _apply_fault(self) -> None:
        fault = faults.take_api_fault()
        if fault is None:
            return
        if fault.kind == "429":
            retry_after = str(int(fault.number("retry_after", 1)))
            raise ApiError(
                429, "rate_limited", "Too many requests.", headers={"Retry-After": retry_after}
            )
        if fault.kind == "hang":
            # The hung request never runs: the caller has given up by the time it answers.
            time.sleep(fault.number("seconds", 3))
        status = int(fault.number("status", 500)) if fault.kind == "500" else 500
        status = status if 500 <= status <= 599 else 500
        raise ApiError(status, "internal_error", f"Injected fault: {fault.kind} ({status}).")

    @staticmethod
    def _parse_body(request: HttpRequest) -> dict[str, Any]:
        raw = request.body
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "invalid_request", "The request body is too large.")
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise invalid("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise invalid("The request body must be a JSON object.")
        return data

    def _idempotent(
        self, request: HttpRequest, key: str, run: Callable[[], HttpResponse]
    ) -> HttpResponse:
        if len(key) > 255:
            raise invalid("Idempotency-Key is longer than 255 characters.")
        scope = hashlib.sha256(self.caller.key.encode()).hexdigest()
        canonical = json.dumps(self.body.data, sort_keys=True, separators=(",", ":"))
        fingerprint = hashlib.sha256(f"{request.method} {request.path} {canonical}".encode())
        request_hash = fingerprint.hexdigest()
        record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if record is not None:
            if record.request_hash != request_hash:
                raise invalid(
                    "This Idempotency-Key was already used with a different request; "
                    "use a new key for a new request."
                )
            response = HttpResponse(
                record.body, status=record.status_code, content_type="application/json"
            )
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = run()
        except ApiError as exc:
            response = exc.response()
        if response.status_code < 500 and response.status_code != 429:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        scope=scope,
                        key=key,
                        request_hash=request_hash,
                        status_code=response.status_code,
                        body=response.content.decode("utf-8"),
                    )
            except IntegrityError:
                pass  # a concurrent request with the same key stored its answer first
        return response


def paginate(
    queryset: QuerySet[Any], query: Params, *, default: int, maximum: int = 100
) -> tuple[list[Any], bool]:
    """Newest-first cursor pagination: ``limit`` and ``starting_after`` (an id)."""
    limit = query.integer("limit", default=default, minimum=1, maximum=maximum)
    assert limit is not None
    cursor_id = query.text("starting_after", max_length=100)
    queryset = queryset.order_by("-created_at", "-pk")
    if cursor_id:
        cursor: Model | None = queryset.model.objects.filter(pk=cursor_id).first()
        if cursor is None:
            raise invalid(f"starting_after {cursor_id!r} does not exist.")
        created = cursor.created_at  # type: ignore[attr-defined]
        queryset = queryset.filter(
            Q(created_at__lt=created) | Q(created_at=created, pk__lt=cursor.pk)
        )
    items = list(queryset[: limit + 1])
    return items[:limit], len(items) > limit
