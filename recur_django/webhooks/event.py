"""The one event object every webhook handler receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from recur_django.client.casing import Reader
from recur_django.event_time import envelope_time

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent


@dataclass(frozen=True)
class RecurEvent:
    """A verified Recur event, normalized for handlers.

    ``id`` and ``type`` come from the envelope; ``occurred_at`` is its ``timestamp`` (an
    aware datetime, or None when absent or unreadable); ``stored`` is the
    :class:`~recur_django.models.WebhookEvent` row the delivery is recorded in; ``data`` is
    the envelope's raw ``data`` object and :attr:`reader` a casing-tolerant reader over it.
    """

    id: str
    type: str
    occurred_at: datetime | None
    stored: WebhookEvent
    data: Mapping[str, Any]

    @property
    def reader(self) -> Reader:
        """``Reader(data)``: ``event.reader.text("customer_id")`` finds ``customerId`` too."""
        return Reader(self.data)

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any], stored: WebhookEvent) -> RecurEvent:
        data = envelope.get("data")
        return cls(
            id=str(envelope.get("id") or stored.event_id),
            type=str(envelope.get("type") or stored.type),
            occurred_at=envelope_time(envelope),
            stored=stored,
            data=data if isinstance(data, Mapping) else {},
        )

    @classmethod
    def from_stored(cls, stored: WebhookEvent) -> RecurEvent:
        """The event of a stored row, from its parsed ``payload`` (tests, admin tools)."""
        payload = stored.payload if isinstance(stored.payload, Mapping) else {}
        return cls.from_envelope(payload, stored)
