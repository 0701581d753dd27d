"""Event type -> handler registry.

A handler is ``handler(event, data)``: ``event`` is the stored
:class:`~recur_django.models.WebhookEvent`, ``data`` the envelope's ``data`` object. It runs
inside the database transaction that records the event. It raises :class:`EventRejected`
for a permanent business refusal (the event is kept as failed, Recur gets a 2xx so it stops
retrying); any other exception rolls the business changes back and answers 500 so Recur
retries. Types without a handler are stored as ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from recur_django.exceptions import EventIgnored, EventRejected  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent

Handler = Callable[["WebhookEvent", Mapping[str, Any]], None]

_handlers: dict[str, Handler] = {}


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for ``event_types``."""

    def register(func: Handler) -> Handler:
        for event_type in event_types:
            _handlers[event_type] = func
        return func

    return register


def get_handler(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def registered_types() -> list[str]:
    return sorted(_handlers)
