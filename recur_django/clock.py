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

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from recur_django.conf import recur_settings

#: The emulator's package: its clock reads its models, which exist only while it is installed.
EMULATOR_APP = "recur_django.emulator"


def emulator_missing_for(path: str) -> bool:
    """Whether ``path`` names something of the emulator while the emulator is not installed.

    Importing it then would register the emulator's models under the wrong app (Django's
    "Conflicting 'subscription' models"), so nobody imports it: the check and :func:`now`
    say what to do instead.
    """
    return path.startswith(EMULATOR_APP + ".") and not apps.is_installed(EMULATOR_APP)


def load(path: str) -> Callable[[], datetime]:
    """The callable at dotted ``path``; ImproperlyConfigured saying why when it is unusable."""
    if emulator_missing_for(path):
        raise ImproperlyConfigured(
            f"RECUR['CLOCK'] = {path!r} is the emulator's clock, but {EMULATOR_APP!r} is not "
            "in INSTALLED_APPS."
        )
    return _load(path)


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
    return load(str(value))


def now() -> datetime:
    """The current time for billing decisions (aware)."""
    return clock_function()()
