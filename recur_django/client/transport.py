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

import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from recur_django import __version__
from recur_django.client.errors import APIConnectionError, InvalidRequestError, RecurError
from recur_django.client.responses import decode_success, error_from_response, parse_retry_after

logger = logging.getLogger("recur_django.client")

USER_AGENT = f"recur-django/{__version__}"
IDEMPOTENT_RETRY_STATUSES = frozenset({429, 502, 503, 504})
POST_RETRY_STATUSES = frozenset({429})
BACKOFF_BASE = 0.5  # seconds; attempt n waits up to BACKOFF_BASE * 2**(n-1)


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


def request_not_sent(exc: requests.RequestException) -> bool:
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
            freeze_environment(session, self.base_url)
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
                retryable = request_not_sent(exc) or (
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
                return decode_success(response)
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

    def error_from_response(self, response: requests.Response) -> RecurError:
        """The exception for a non-2xx response, with the secret key scrubbed."""
        return error_from_response(response, self.scrub)

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


def freeze_environment(session: requests.Session, base_url: str) -> None:
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
