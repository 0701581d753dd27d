"""Recur webhooks: one pipeline (:func:`deliver`), one event object (:class:`RecurEvent`).

Importing this package does not import the models; the names are loaded on first use,
because ``recur_django.apps`` imports :mod:`recur_django.webhooks.handlers` while the app
registry is being populated (a real cycle: the pipeline needs the models).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recur_django.webhooks.event import RecurEvent
    from recur_django.webhooks.pipeline import Delivery, deliver, replay

__all__ = ["Delivery", "RecurEvent", "deliver", "replay"]

_HOMES = {
    "Delivery": "recur_django.webhooks.pipeline",
    "deliver": "recur_django.webhooks.pipeline",
    "replay": "recur_django.webhooks.pipeline",
    "RecurEvent": "recur_django.webhooks.event",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'recur_django.webhooks' has no attribute {name!r}")
    return getattr(import_module(home), name)
