"""The ledger end to end: a buyer pays through the emulator over real HTTP, the emulator's
clock bills them, and its webhooks reach this site's own ``recur:webhook`` on the live server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from recur_django import signals
from recur_django.emulator import clock
from recur_django.emulator.models import WebhookDelivery
from recur_django.emulator.pytest_plugin import RecurEmulator
from tests.recur_helpers import SignalRecorder

LEDGER_SIGNALS = (
    "payment_succeeded",
    "payment_failed",
    "payment_refunded",
    "subscription_renewed",
    "trial_will_end",
    "transaction_completed",
)


@pytest.fixture
def sent() -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Every ledger signal's sends, by name, from receivers connected for this test."""
    recorders = {name: SignalRecorder(getattr(signals, name)) for name in LEDGER_SIGNALS}
    for recorder in recorders.values():
        recorder.__enter__()
    yield {name: recorder.calls for name, recorder in recorders.items()}
    for recorder in recorders.values():
        recorder.__exit__()


@pytest.fixture
def buyer(django_user_model: Any) -> Any:
    return get_user_model().objects.create_user("amy", "amy@example.com", "pw")


def buy(recur_emulator: RecurEmulator, user: Any, product: str) -> dict[str, Any]:
    """Start a checkout on this site's REST API, pay it on the emulator's hosted page."""
    api = APIClient(SERVER_NAME="localhost")  # loopback: http:// URLs are accepted
    api.force_authenticate(user)
    response = api.post(reverse("recur-api:checkout-sessions"), {"product": product}, format="json")
    assert response.status_code == 201, response.content
    started = response.json()
    assert recur_emulator.pay(started["checkout_session_id"]).status_code == 303
    return dict(started)


def flush(recur_emulator: RecurEmulator) -> None:
    """Deliver every pending webhook; each one must be acknowledged by the site."""
    deliveries = recur_emulator.deliver()
    assert all(d.status == "SUCCEEDED" for d in deliveries), [
        (d.event_id, d.status) for d in deliveries
    ]


def advance_to(recur_emulator: RecurEmulator, moment: datetime, *, hours: float = 1) -> None:
    """Move the emulator clock to ``hours`` after ``moment``, delivering what it emits."""
    seconds = (moment - clock.now()).total_seconds() + hours * 3600
    assert seconds > 0
    recur_emulator.advance(seconds=seconds)
    flush(recur_emulator)


def shuffle_pending_deliveries(seed: int) -> int:
    """Deliver the pending webhooks in a seeded random order (on top of the injected faults)."""
    pending = list(WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING))
    keys = [d.sort_key for d in pending]
    random.Random(seed).shuffle(keys)
    for delivery, key in zip(pending, keys, strict=True):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(sort_key=key)
    return len(pending)
