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
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from recur_django import __version__
from recur_django.client.transport import freeze_environment, request_not_sent
from recur_django.einvoice.errors import AnswerLost, ProviderRefused, ProviderUnavailable

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
