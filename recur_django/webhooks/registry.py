"""Event type -> handler registry.

A handler is ``handler(event)``: ``event`` is a :class:`~recur_django.webhooks.RecurEvent`
(``id``, ``type``, ``occurred_at``, the ``stored`` WebhookEvent, ``data`` and ``reader``).
It runs inside the database transaction that records the event. It raises
:class:`EventIgnored` when it has nothing to do (the event is stored as ignored with the
reason), :class:`EventRejected` for a permanent business refusal (the event is kept as
failed, Recur gets a 2xx so it stops retrying); any other exception rolls the business
changes back and answers 500 so Recur retries. Types without a handler are stored as
ignored.

A handler registered with the older two-argument form ``handler(stored, data)`` is still
called that way (deprecated): it is adapted when registered.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from recur_django.exceptions import EventIgnored, EventRejected  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from recur_django.webhooks.event import RecurEvent

Handler = Callable[["RecurEvent"], None]

_handlers: dict[str, Handler] = {}


def _takes_two(func: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


def _adapt(func: Callable[..., Any]) -> Handler:
    """Call a deprecated ``handler(stored, data)`` with a RecurEvent's parts."""
    if not _takes_two(func):
        return func

    @wraps(func)
    def adapted(event: RecurEvent) -> None:
        func(event.stored, event.data)
        if event.stored.status == event.stored.Status.IGNORED:
            # The old way to ignore an event: the handler set ``status`` itself.
            raise EventIgnored(event.stored.error)

    return adapted


def handles(*event_types: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function for ``event_types`` (returned unchanged)."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        handler = _adapt(func)
        for event_type in event_types:
            _handlers[event_type] = handler
        return func

    return register


def get_handler(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def registered_types() -> list[str]:
    return sorted(_handlers)
