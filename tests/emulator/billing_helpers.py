"""Helpers for the billing tests: events as the receiving endpoint got them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from recur_django.emulator import clock
from recur_django.emulator.pytest_plugin import RecurEmulator
from recur_django.webhooks.signature import verify_signature
from tests.emulator.receiver import Received

SECRET = "whsec_test_secret"


def delivered(recur_emulator: RecurEmulator, capture: Received) -> list[dict[str, Any]]:
    """Deliver what is pending; every envelope the endpoint received, signature checked."""
    recur_emulator.deliver()
    envelopes = []
    for headers, body in capture.requests:
        verify_signature(body, headers, [SECRET])
        envelope = json.loads(body)
        assert headers["X-Recur-Event-Type"] == envelope["type"]
        envelopes.append(envelope)
    capture.requests.clear()
    return envelopes


def of_type(envelopes: list[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    return [e["data"] for e in envelopes if e["type"] in types]


def types_of(envelopes: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in envelopes]


def advance_to(recur_emulator: RecurEmulator, moment: datetime, *, hours: float = 1) -> None:
    """Move the emulator clock to ``hours`` after ``moment``."""
    seconds = (moment - clock.now()).total_seconds() + hours * 3600
    assert seconds > 0
    recur_emulator.advance(seconds=seconds)
