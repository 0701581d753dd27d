"""Compatibility names: the pipeline now lives in :mod:`recur_django.webhooks.pipeline`
(steps), :mod:`.envelope` (parsing) and :mod:`.dispatch` (store and dispatch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recur_django.exceptions import EnvelopeError, EventRejected
from recur_django.webhooks.confirmation import confirming
from recur_django.webhooks.dispatch import (
    UNREADABLE_PREFIX,
    UNREADABLE_TYPE,
    Outcome,
    keep_unreadable,
    store_and_dispatch,
)
from recur_django.webhooks.envelope import (
    MAX_ID_LENGTH,
    RECORDED_HEADERS,
    check_age,
    event_time,
    parse_envelope,
    recorded_headers,
)
from recur_django.webhooks.pipeline import replay

__all__ = [
    "MAX_ID_LENGTH",
    "RECORDED_HEADERS",
    "UNREADABLE_PREFIX",
    "UNREADABLE_TYPE",
    "EnvelopeError",
    "EventRejected",
    "Outcome",
    "check_age",
    "event_time",
    "keep_unreadable",
    "parse_envelope",
    "receive",
    "recorded_headers",
    "replay",
]


def receive(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Outcome:
    """Store a verified delivery and apply it once (steps 6 to 8 of the pipeline)."""
    return confirming(lambda: store_and_dispatch(body, headers, envelope))
