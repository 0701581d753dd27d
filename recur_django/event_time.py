"""When did an event happen: the one reader, shared by the webhook pipeline (the age check,
:class:`~recur_django.webhooks.event.RecurEvent`), the subscription mirror and the ledger.

:func:`envelope_time` is what the envelope itself says (its ``timestamp``, or None);
:func:`event_time` is the time a stored event counts as, never None: the envelope's time,
else its ``created_at``, else the ``X-Recur-Timestamp`` header, else the payload's
``updated_at``, else when we received it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from recur_django.payloads.subscription import parse_timestamp

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent

__all__ = ["envelope_time", "event_time"]

TIMESTAMP_HEADERS = ("x-recur-timestamp", "http_x_recur_timestamp")


def envelope_time(envelope: Mapping[str, Any]) -> datetime | None:
    """The envelope's ``timestamp`` (ISO 8601, or Unix seconds / milliseconds) or None."""
    return parse_timestamp(envelope.get("timestamp"))


def event_time(event: WebhookEvent | None, data: Mapping[str, Any]) -> datetime:
    """When ``event`` happened (see the module docstring); now when there is no event."""
    if event is None:
        return timezone.now()
    payload = event.payload if isinstance(event.payload, Mapping) else {}
    if (at := envelope_time(payload)) is not None:
        return at
    candidates: list[Any] = [payload.get("created_at")]
    headers = event.headers if isinstance(event.headers, Mapping) else {}
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() in TIMESTAMP_HEADERS:
            candidates.append(value)
    candidates += [data.get("updated_at"), data.get("updatedAt")]
    for candidate in candidates:
        if (parsed := parse_timestamp(candidate)) is not None:
            return parsed
    return event.received_at or timezone.now()
