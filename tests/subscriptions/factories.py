"""Building subscription payloads and stored webhook events for tests."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from recur_django.models import WebhookEvent
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.registry import get_handler

T0 = datetime(2025, 1, 1, tzinfo=UTC)
_counter = itertools.count(1)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sub_data(
    sub_id: str = "sub_1",
    *,
    status: str = "ACTIVE",
    customer_id: str = "cus_1",
    start: datetime = T0,
    days: int = 30,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": sub_id,
        "object": "subscription",
        "status": status,
        "customer_id": customer_id,
        "product_id": "prod_pro_monthly",
        "product_slug": "pro-monthly",
        "product_name": "Pro (monthly)",
        "amount": 299,
        "currency": "TWD",
        "interval": "month",
        "interval_count": 1,
        "current_period_start": iso(start),
        "current_period_end": iso(start + timedelta(days=days)),
        "cancel_at_period_end": False,
        "canceled_at": None,
    }
    data.update(extra)
    return data


def store_event(
    event_type: str, data: dict[str, Any], at: datetime, event_id: str | None = None
) -> WebhookEvent:
    event_id = event_id or f"evt_test_{next(_counter)}"
    payload = {"id": event_id, "type": event_type, "timestamp": iso(at), "data": data}
    return WebhookEvent.objects.create(
        event_id=event_id,
        type=event_type,
        body=json.dumps(payload).encode(),
        payload=payload,
        headers={"X-Recur-Event-Id": event_id, "X-Recur-Event-Type": event_type},
    )


def dispatch(event: WebhookEvent) -> None:
    """Run the registered handler the way the webhook view does."""
    handler = get_handler(event.type)
    assert handler is not None, f"no handler for {event.type}"
    assert event.payload is not None
    handler(RecurEvent.from_stored(event))
