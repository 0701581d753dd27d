"""The process-wide :class:`~recur_django.client.RecurClient` built from ``RECUR``.

One client (and so one pooled ``requests.Session``) per process; rebuilt when the
``RECUR`` setting changes.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from recur_django.client import RecurClient
from recur_django.conf import recur_settings

_lock = threading.Lock()
_client: RecurClient | None = None


def get_client() -> RecurClient:
    """Return the shared client configured from ``settings.RECUR``."""
    global _client
    with _lock:
        if _client is None:
            connect, read = recur_settings.TIMEOUT
            try:
                _client = RecurClient(
                    recur_settings.SECRET_KEY,
                    base_url=recur_settings.API_BASE,
                    timeout=(float(connect), float(read)),
                    max_retries=int(recur_settings.MAX_RETRIES),
                    max_retry_wait=float(recur_settings.MAX_RETRY_WAIT),
                    publishable_key=recur_settings.get("PUBLISHABLE_KEY"),
                )
            except ValueError as exc:  # e.g. an API_BASE that is not a URL
                raise ImproperlyConfigured(f"RECUR settings are invalid: {exc}") from None
        return _client


def reset_client() -> None:
    """Drop the cached client (its session is closed)."""
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None


@receiver(setting_changed)
def _reset_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "RECUR":
        reset_client()
