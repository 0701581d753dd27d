"""The configured e-invoice backend: one instance per process, rebuilt on setting changes.

``RECUR["EINVOICE"]`` absent (or None) means e-invoicing is off: :func:`is_enabled` is
False and nothing is issued. :func:`get_backend` imports ``BACKEND``, builds it with
``OPTIONS`` once and keeps it (and its pooled HTTP session); ``override_settings(RECUR=…)``
drops it.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from recur_django.conf import EInvoiceConfig, recur_settings
from recur_django.einvoice.backends.base import EInvoiceBackend
from recur_django.einvoice.errors import ConfigurationError

_lock = threading.Lock()
_backend: EInvoiceBackend | None = None


def is_enabled() -> bool:
    """Whether e-invoicing is on (``RECUR["EINVOICE"]`` is set)."""
    return recur_settings.einvoice is not None


def backend_class(config: EInvoiceConfig) -> type[EInvoiceBackend]:
    """The class ``config.backend`` names; ImproperlyConfigured when it is not one."""
    try:
        found = import_string(config.backend)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"RECUR['EINVOICE']['BACKEND'] {config.backend!r} cannot be imported: {exc}"
        ) from None
    if not (isinstance(found, type) and issubclass(found, EInvoiceBackend)):
        raise ImproperlyConfigured(
            f"RECUR['EINVOICE']['BACKEND'] {config.backend!r} is not a subclass of "
            "recur_django.einvoice.backends.base.EInvoiceBackend."
        )
    return found


def build_backend(config: EInvoiceConfig) -> EInvoiceBackend:
    """A new backend for ``config``; ImproperlyConfigured naming what is wrong."""
    cls = backend_class(config)
    try:
        return cls(config.options)
    except ConfigurationError as exc:
        raise ImproperlyConfigured(f"RECUR['EINVOICE']: {exc.message}") from None


def get_backend() -> EInvoiceBackend:
    """The configured backend; ImproperlyConfigured when e-invoicing is off or broken."""
    global _backend
    with _lock:
        if _backend is None:
            config = recur_settings.einvoice
            if config is None:
                raise ImproperlyConfigured("E-invoicing is off: RECUR['EINVOICE'] is not set.")
            _backend = build_backend(config)
        return _backend


def reset_backend() -> None:
    """Drop the cached backend (its connections are closed)."""
    global _backend
    with _lock:
        if _backend is not None:
            _backend.close()
        _backend = None


@receiver(setting_changed)
def _reset_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "RECUR":
        reset_backend()
