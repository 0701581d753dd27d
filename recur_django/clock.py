""" "Now" for billing decisions, read through ``RECUR["CLOCK"]``.

Expiry of pending checkouts (``recur_expire``), period-end comparisons of entitlements and
the fallback session expiry all ask :func:`now`, so a site driven by a test clock (the
emulator's, ``"recur_django.emulator.clock.now"``) decides as Recur does. Audit timestamps
(``created_at``, ``updated_at``, ``processed_at``…) stay on real time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from recur_django.conf import recur_settings


@functools.lru_cache(maxsize=8)
def _load(path: str) -> Callable[[], datetime]:
    try:
        func = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"RECUR['CLOCK'] = {path!r} cannot be imported: {exc}") from exc
    if not callable(func):
        raise ImproperlyConfigured(f"RECUR['CLOCK'] = {path!r} is not callable.")
    return func


def clock_function(value: Any = None) -> Callable[[], datetime]:
    """The zero-argument callable named by ``RECUR["CLOCK"]`` (a dotted path or a callable)."""
    value = recur_settings.get("CLOCK") if value is None else value
    if value is None:
        return timezone.now
    if callable(value):
        return value
    return _load(str(value))


def now() -> datetime:
    """The current time for billing decisions (aware)."""
    return clock_function()()
