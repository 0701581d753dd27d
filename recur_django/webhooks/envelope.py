"""Reading a Recur event envelope: parse it, check its age, keep the headers we record.

Pure functions with no database access, shared by the pipeline (:mod:`.pipeline`), replay
and the event object (:mod:`.event`). When an event happened is read by
:mod:`recur_django.event_time`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from recur_django.conf import recur_settings
from recur_django.event_time import envelope_time
from recur_django.exceptions import EnvelopeError

MAX_ID_LENGTH = 128

# Headers kept with each event. The signature is kept so a replay can re-verify the body;
# it is never logged.
RECORDED_HEADERS = (
    "Content-Type",
    "User-Agent",
    "X-Recur-Event-Id",
    "X-Recur-Event-Type",
    "X-Recur-Timestamp",
    "X-Recur-Signature",
)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _storable(value: Any) -> bool:
    """Whether every string in ``value`` can be stored by every database backend.

    Lone surrogates cannot be encoded as UTF-8, and PostgreSQL refuses NUL characters in
    text and ``jsonb``; an event carrying either could not be stored, so it is refused.
    """
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def parse_envelope(body: bytes) -> dict[str, Any]:
    """Parse and validate ``{"id", "type", "timestamp"?, "data"}``; raise EnvelopeError.

    The JSON must be strict (no ``NaN``/``Infinity``, which no database stores as JSON)
    and every string must be storable (no lone surrogates or NUL characters).
    """
    try:
        envelope = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeError("body is not valid UTF-8 JSON") from None
    except RecursionError:
        raise EnvelopeError("body is nested too deeply") from None
    if not isinstance(envelope, dict):
        raise EnvelopeError("body is not a JSON object")
    for key in ("id", "type"):
        value = envelope.get(key)
        if not isinstance(value, str) or not value.strip():
            raise EnvelopeError(f"'{key}' must be a non-empty string")
        if len(value) > MAX_ID_LENGTH:
            raise EnvelopeError(f"'{key}' is longer than {MAX_ID_LENGTH} characters")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise EnvelopeError("'data' must be a JSON object")
    timestamp = envelope.get("timestamp")
    if timestamp is not None and not isinstance(timestamp, str | int | float):
        raise EnvelopeError("'timestamp' must be a string or a number")
    try:
        storable = _storable(envelope)
    except RecursionError:
        raise EnvelopeError("body is nested too deeply") from None
    if not storable:
        raise EnvelopeError("body contains NUL characters or unpaired surrogates")
    return envelope


def check_age(envelope: Mapping[str, Any], *, at: datetime | None = None) -> None:
    """Refuse events older than ``RECUR['WEBHOOK_MAX_EVENT_AGE']`` seconds (when set).

    The age is measured at ``at``: now for a live delivery, the first receipt
    (``WebhookEvent.received_at``) for a replay, so an event that was fresh when Recur
    delivered it can still be replayed later.
    """
    max_age = recur_settings.get("WEBHOOK_MAX_EVENT_AGE")
    if not max_age:
        return
    when = envelope_time(envelope)
    if when is None:
        raise EnvelopeError("'timestamp' is missing or unreadable and a maximum age is set")
    if (at or timezone.now()) - when > timedelta(seconds=float(max_age)):
        raise EnvelopeError("event is older than RECUR['WEBHOOK_MAX_EVENT_AGE']")


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The subset of request headers stored with an event."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {
        name: str(lowered[name.lower()])[:1000]
        for name in RECORDED_HEADERS
        if name.lower() in lowered
    }
