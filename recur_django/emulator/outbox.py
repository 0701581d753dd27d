"""Emitting events: an :class:`Event` row plus its deliveries, in the caller's transaction.

Deliveries are rows first; they are sent only after the transaction commits
(``transaction.on_commit`` wakes the background sender), so a rolled-back state
change never produces a webhook.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.db import transaction

from recur_django.emulator import clock, faults, sender
from recur_django.emulator.conf import emulator_settings
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Event, WebhookDelivery


def emit(event_type: str, data: dict[str, Any]) -> Event:
    """Record event ``event_type`` with ``data`` and queue its webhook deliveries."""
    moment = clock.event_time()
    event_id = new_id("evt", 24)
    envelope = {"id": event_id, "type": event_type, "timestamp": clock.iso(moment), "data": data}
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    event = Event.objects.create(
        event_id=event_id, type=event_type, timestamp=moment, data=data, body=body
    )
    url = emulator_settings.WEBHOOK_URL
    mode = emulator_settings.WEBHOOK_DELIVERY
    if url and mode != "off":
        _queue_deliveries(event, str(url))
        if mode == "background":
            transaction.on_commit(sender.wake)
    return event


def _queue_deliveries(event: Event, url: str) -> None:
    active = faults.take_webhook_faults()
    sort_key = event.pk * 10
    if "out_of_order" in active:
        sort_key += 15  # after the next event's delivery
    not_before = None
    if "delay" in active:
        # On the emulator's clock, so a test moves past the delay with advance().
        not_before = clock.now() + timedelta(seconds=active["delay"].number("seconds", 5))
    copies = 2 if "duplicate" in active else 1
    for _ in range(copies):
        WebhookDelivery.objects.create(
            event=event,
            url=url,
            status=WebhookDelivery.Status.PENDING,
            sort_key=sort_key,
            bad_signature="bad_signature" in active,
            not_before=not_before,
        )
