"""HTTP for the provider backends: one pooled session, timeouts, failures as our errors.

Django-free. Nothing is retried here: whether sending again is safe is the caller's
decision (after asking the provider), so every failure is classified instead:

- no byte reached the provider (refused connection, DNS, connect timeout):
  :class:`~recur_django.einvoice.errors.ProviderUnavailable`;
- sent, but no usable answer (read timeout, dropped connection, any 5xx):
  :class:`~recur_django.einvoice.errors.AnswerLost`;
- 403 / 429 (the providers' rate limits, refused before processing): ProviderUnavailable;
- any other non-2xx: :class:`~recur_django.einvoice.errors.ProviderRefused`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from recur_django import __version__
from recur_django.client.transport import freeze_environment, request_not_sent
from recur_django.einvoice.backends.base import EInvoiceBackend
from recur_django.einvoice.errors import (
    AnswerLost,
    ConfigurationError,
    ProviderRefused,
    ProviderUnavailable,
)
from recur_django.einvoice.rules import parse_taipei

logger = logging.getLogger("recur_django.einvoice")

USER_AGENT = f"recur-django/{__version__}"
RATE_LIMITED = frozenset({403, 429})


class ProviderSession:
    """POSTs to one provider; ``secrets`` are scrubbed from every message it makes."""

    def __init__(
        self,
        base_url: str,
        timeout: tuple[float, float],
        *,
        provider: str,
        secrets: Iterable[str] = (),
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.provider = provider
        self._secrets = tuple(s for s in secrets if s)
        if session is None:
            session = requests.Session()
            freeze_environment(session, self.base_url)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=10, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"User-Agent": USER_AGENT})
        self.session = session

    def scrub(self, text: str) -> str:
        """``text`` without any secret (replaced by ``***``)."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def post(
        self,
        path: str,
        *,
        operation: str,
        json_body: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """POST ``path``; the 2xx response, or the error for what happened."""
        url = self.base_url + path
        started = time.monotonic()
        kwargs: dict[str, Any] = {}
        if json_body is not None:
            kwargs["json"] = dict(json_body)
        if form is not None:
            # multipart/form-data, as ezPay expects: (None, value) is a plain field
            kwargs["files"] = {name: (None, value) for name, value in form.items()}
        try:
            response = self.session.post(url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise self._connection_error(exc, operation, time.monotonic() - started) from None
        elapsed = (time.monotonic() - started) * 1000
        status = response.status_code
        logger.debug("%s %s -> %d (%.0f ms)", self.provider, operation, status, elapsed)
        if 200 <= status < 300:
            return response
        response.close()
        what = f"{self.provider} {operation} answered HTTP {status}"
        logger.warning("%s", what)
        if status >= 500:
            raise AnswerLost(
                f"{what}: the request may have been carried out; ask before retrying.",
                code=f"http_{status}",
            )
        if status in RATE_LIMITED:
            raise ProviderUnavailable(f"{what} (rate limited): try later.", code=f"http_{status}")
        raise ProviderRefused(f"http_{status}", f"{what}.")

    def _connection_error(
        self, exc: requests.RequestException, operation: str, seconds: float
    ) -> AnswerLost | ProviderUnavailable:
        kind = type(exc).__name__
        logger.warning("%s %s failed after %.1f s: %s", self.provider, operation, seconds, kind)
        where = self.scrub(self.base_url)
        if request_not_sent(exc):
            return ProviderUnavailable(
                f"{self.provider} {operation}: could not connect to {where} ({kind}); nothing "
                "was sent.",
                code="connect_failed",
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return AnswerLost(
                f"{self.provider} {operation}: no answer from {where} within "
                f"{self.timeout[1]:g} s; the request may have been carried out.",
                code="timeout",
            )
        return AnswerLost(
            f"{self.provider} {operation}: the connection to {where} failed after sending "
            f"({kind}); the request may have been carried out.",
            code="connection_lost",
        )

    def close(self) -> None:
        self.session.close()


class KeyedHttpBackend(EInvoiceBackend):
    """What the ECPay and ezPay backends share: ``MERCHANT_ID``, an AES ``HASH_KEY`` and
    ``HASH_IV`` of fixed lengths (secrets: scrubbed from every message), ``API_BASE``
    defaulting to the provider's test host, ``TIMEOUT``, one :class:`ProviderSession`, and
    a clock (tests pin it)."""

    #: (HASH_KEY length, HASH_IV length), in characters.
    key_lengths: ClassVar[tuple[int, int]]
    #: The provider's test (stage) API base: the default, and what uses_test_host means.
    test_api_base: ClassVar[str]
    #: The provider's name as people write it, for configuration messages.
    label: ClassVar[str]

    def __init__(
        self, options: Mapping[str, Any], *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(options)
        values = self.required_options("MERCHANT_ID", secret=("HASH_KEY", "HASH_IV"))
        self._merchant = values["MERCHANT_ID"]
        self._key, self._iv = values["HASH_KEY"], values["HASH_IV"]
        key_length, iv_length = self.key_lengths
        if len(self._key.encode()) != key_length or len(self._iv.encode()) != iv_length:
            raise ConfigurationError(
                f"{self.label}'s HASH_KEY is {key_length} characters and its HASH_IV {iv_length}.",
                code="invalid_key",
            )
        self.api_base = self.api_base_option(self.test_api_base)
        self._clock = clock
        self.http = ProviderSession(
            self.api_base, self.timeout_option(), provider=self.name, secrets=(self._key, self._iv)
        )

    @property
    def uses_test_host(self) -> bool:
        parts = urlsplit(self.api_base)
        return parts.scheme == "http" or parts.hostname == urlsplit(self.test_api_base).hostname

    def close(self) -> None:
        self.http.close()

    def _moment(self, text: Any) -> datetime:
        """A provider time, or now when it is missing (the answer just arrived)."""
        try:
            return parse_taipei(str(text))
        except ValueError:
            return datetime.fromtimestamp(self._clock(), tz=UTC)
