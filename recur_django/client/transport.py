"""HTTP transport: one pooled ``requests.Session``, timeouts, retries, error mapping.

Retry rules (attempts = 1 + ``max_retries``):

- GET, PATCH and DELETE are retried on connection errors, read timeouts, 429,
  502, 503 and 504.
- POST is retried only when the request provably never reached Recur (connect
  timeout, refused/unresolvable connection) and on 429. It is never retried on a
  5xx or a read timeout, because Recur may already have acted on it. Each POST
  carries one ``Idempotency-Key`` reused for all its attempts.
- Waits use exponential backoff with full jitter; a ``Retry-After`` header
  (seconds or HTTP date) is honoured but never waited on for longer than
  ``max_retry_wait``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from recur_django import __version__
from recur_django.client.errors import (
    APIConnectionError,
    APIError,
    InvalidRequestError,
    RecurError,
    error_class_for_status,
)

logger = logging.getLogger("recur_django.client")

USER_AGENT = f"recur-django/{__version__}"
IDEMPOTENT_RETRY_STATUSES = frozenset({429, 502, 503, 504})
POST_RETRY_STATUSES = frozenset({429})
BACKOFF_BASE = 0.5  # seconds; attempt n waits up to BACKOFF_BASE * 2**(n-1)

_DEFAULT_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "resource_not_found",
    409: "conflict",
    422: "invalid_request",
    429: "rate_limited",
}


def redact_key(key: str) -> str:
    """A loggable form of a secret key: its prefix and last four characters."""
    if not isinstance(key, str) or not key:
        return "<empty>"
    prefix = "sk_live_" if key.startswith("sk_live_") else "sk_test_"
    if not key.startswith(prefix):
        prefix = key[:3]
    tail = key[-4:] if len(key) >= len(prefix) + 8 else ""
    return f"{prefix}…{tail}"


def path(*parts: str) -> str:
    """``/v1/`` joined with URL-quoted path segments (ids may hold any character)."""
    return "/v1/" + "/".join(quote(str(p), safe="") for p in parts)


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


def _request_not_sent(exc: requests.RequestException) -> bool:
    """True when the exception proves no byte of the request reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason: Any = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        # NewConnectionError covers refused connections and DNS failures.
        return isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return False


class Transport:
    """Sends requests to Recur and turns responses into JSON or :class:`RecurError`."""

    def __init__(
        self,
        secret_key: str,
        *,
        base_url: str,
        timeout: tuple[float, float],
        max_retries: int,
        max_retry_wait: float,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_maxsize: int = 10,
    ) -> None:
        self._secret_key = secret_key
        self.redacted_key = redact_key(secret_key)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max(0, int(max_retries))
        self.max_retry_wait = max(0.0, float(max_retry_wait))
        self.sleep = sleep
        if session is None:
            session = requests.Session()
            _freeze_environment(session, self.base_url)
        self.session = session
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {secret_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            }
        )

    def close(self) -> None:
        self.session.close()

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the secret key redacted."""
        if self._secret_key and self._secret_key in text:
            return text.replace(self._secret_key, self.redacted_key)
        return text

    # -- sending ---------------------------------------------------------------------

    def request(
        self,
        method: str,
        url_path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one API call (with retries) and return the decoded JSON body."""
        method = method.upper()
        url = self.base_url + url_path
        headers: dict[str, str] = {}
        data: bytes | None = None
        if body is not None:
            data = _encode_body(body)
            headers["Content-Type"] = "application/json"
        is_post = method == "POST"
        if is_post:
            headers["Idempotency-Key"] = _check_idempotency_key(idempotency_key) or str(
                uuid.uuid4()
            )
            if data is None:
                headers["Content-Type"] = "application/json"
                data = b"{}"
        query = _encode_params(params) if params else None
        retry_statuses = POST_RETRY_STATUSES if is_post else IDEMPOTENT_RETRY_STATUSES
        debug = logger.isEnabledFor(logging.DEBUG)

        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                elapsed = time.monotonic() - started
                retryable = _request_not_sent(exc) or (
                    not is_post
                    and isinstance(
                        exc,
                        requests.exceptions.ConnectionError | requests.exceptions.Timeout,
                    )
                    and not isinstance(exc, requests.exceptions.SSLError)
                )
                logger.debug(
                    "recur %s %s -> %s (attempt %d, %.1f ms)",
                    method,
                    url_path,
                    type(exc).__name__,
                    attempt,
                    elapsed * 1000,
                )
                if retryable and attempt <= self.max_retries:
                    self._wait(attempt, None)
                    continue
                raise self._connection_error(exc, method, url_path, attempt) from None

            if debug:
                logger.debug(
                    "recur %s %s -> %d (attempt %d, %.1f ms)",
                    method,
                    url_path,
                    response.status_code,
                    attempt,
                    (time.monotonic() - started) * 1000,
                )
            status = response.status_code
            if 200 <= status < 300:
                return self._decode_success(response)
            if status in retry_statuses and attempt <= self.max_retries:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                response.close()
                self._wait(attempt, retry_after)
                continue
            raise self.error_from_response(response)

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.max_retry_wait)
        else:
            ceiling = min(self.max_retry_wait, BACKOFF_BASE * (2 ** (attempt - 1)))
            delay = random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography
        logger.debug("recur retrying in %.2f s (after attempt %d)", delay, attempt)
        if delay > 0:
            self.sleep(delay)

    # -- responses -------------------------------------------------------------------

    def _decode_success(self, response: requests.Response) -> Any:
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

    def error_from_response(self, response: requests.Response) -> RecurError:
        """Build the exception for a non-2xx response, tolerating any body."""
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
            self.scrub(message),
            status=status,
            code=code or _DEFAULT_CODES.get(status, "api_error"),
            error_type=error_type,
            request_id=_request_id(response.headers, body_request_id),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _connection_error(
        self, exc: requests.RequestException, method: str, url_path: str, attempts: int
    ) -> APIConnectionError:
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            what, code = "timed out connecting", "connect_timeout"
        elif isinstance(exc, requests.exceptions.ReadTimeout):
            what, code = "timed out waiting for the response", "read_timeout"
        elif isinstance(exc, requests.exceptions.SSLError):
            what, code = "failed the TLS handshake", "tls_error"
        else:
            what, code = "could not connect", "connection_error"
        tries = "attempt" if attempts == 1 else "attempts"
        message = (
            f"{method} {url_path} {what} to {self.base_url} after {attempts} {tries}: "
            f"{type(exc).__name__}"
        )
        return APIConnectionError(self.scrub(message), code=code)


def _freeze_environment(session: requests.Session, base_url: str) -> None:
    """Resolve proxy and CA-bundle environment variables once, not on every call.

    With ``trust_env`` on, requests re-reads the proxy variables (and ``~/.netrc``)
    for each request, a fifth of the per-call cost on a fast link; a ``.netrc``
    entry for the API host would even replace the Bearer header. The values in
    effect when the client is built are used for its whole life.
    """
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def _encode_body(body: Mapping[str, Any]) -> bytes:
    try:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(
            f"The request body cannot be sent as JSON: {exc}. Metadata values should be "
            "strings, numbers, booleans, lists or dicts.",
            code="invalid_body",
        ) from None
    return text.encode()


def _check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key or len(key) > 255 or not key.isascii():
        raise InvalidRequestError(
            "idempotency_key must be a non-empty ASCII string of at most 255 characters.",
            code="invalid_idempotency_key",
        )
    if not key.isprintable():
        raise InvalidRequestError(
            "idempotency_key must not contain control characters.",
            code="invalid_idempotency_key",
        )
    return key


def _encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters with None dropped and booleans as ``true``/``false``."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


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
