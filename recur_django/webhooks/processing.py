"""Store and apply webhook events: used by the webhook view, ``recur_replay`` and the admin.

One delivery is one database transaction: the :class:`~recur_django.models.WebhookEvent`
row is inserted first (its unique ``event_id`` is the dedupe key, and the insert makes a
concurrent delivery of the same id wait for this one), then the handler applies it. The
happy path is BEGIN, INSERT, the handler's statements, COMMIT — no savepoint round trips.

When the handler raises, the whole transaction is rolled back, so none of its business
changes survive, and the event is then recorded as failed (with the error and, for
unexpected errors, the traceback) in a second short transaction: the row always survives.
An unexpected error answers 500 so Recur retries; a redelivery of an event that failed
that way is applied again, while processed, ignored and rejected events are duplicates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from recur_django import signals
from recur_django.client.types import parse_datetime
from recur_django.conf import recur_settings
from recur_django.exceptions import EnvelopeError, EventRejected
from recur_django.models import WebhookEvent
from recur_django.signals import send_after_commit
from recur_django.webhooks.confirmation import ConfirmationNeeded, confirmation, confirming
from recur_django.webhooks.registry import Handler, get_handler
from recur_django.webhooks.signature import verify_signature

logger = logging.getLogger("recur_django.webhooks")

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


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery or replay.

    ``status`` is ``processed``, ``ignored``, ``failed`` or ``duplicate``; ``retry`` is True
    when an unexpected error happened and the sender should try again (HTTP 500).
    """

    status: str
    event: WebhookEvent
    retry: bool = False

    @property
    def http_status(self) -> int:
        return 500 if self.retry else 200


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


def event_time(envelope: Mapping[str, Any]) -> datetime | None:
    """The envelope's ``timestamp`` (ISO 8601, or Unix seconds / milliseconds) or None."""
    return parse_datetime(envelope.get("timestamp"))


def check_age(envelope: Mapping[str, Any]) -> None:
    """Refuse events older than ``RECUR['WEBHOOK_MAX_EVENT_AGE']`` seconds (when set)."""
    max_age = recur_settings.get("WEBHOOK_MAX_EVENT_AGE")
    if not max_age:
        return
    when = event_time(envelope)
    if when is None:
        raise EnvelopeError("'timestamp' is missing or unreadable and a maximum age is set")
    if timezone.now() - when > timedelta(seconds=float(max_age)):
        raise EnvelopeError("event is older than RECUR['WEBHOOK_MAX_EVENT_AGE']")


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The subset of request headers stored with an event."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {
        name: str(lowered[name.lower()])[:1000]
        for name in RECORDED_HEADERS
        if name.lower() in lowered
    }


#: Event-id prefix of signed deliveries whose envelope could not be read.
UNREADABLE_PREFIX = "unreadable_"
UNREADABLE_TYPE = "(unreadable)"


def keep_unreadable(body: bytes, headers: Mapping[str, str], error: str) -> WebhookEvent:
    """Store a *signed* delivery whose envelope could not be read, as a failed event.

    Its signature proves it came from Recur, so it is kept for :func:`replay` (after an
    upgrade that understands it) instead of being lost. The id is derived from the body, so
    Recur's redeliveries of the same body are stored once; it can never equal a real
    ``evt_…`` id, so it cannot pre-empt one.
    """
    event = WebhookEvent(
        event_id=UNREADABLE_PREFIX + hashlib.sha256(body).hexdigest(),
        type=UNREADABLE_TYPE,
        body=body,
        headers=recorded_headers(headers),
        payload=None,
        status=WebhookEvent.Status.FAILED,
        error=error[:5000],
        attempts=1,
        processed_at=timezone.now(),
    )
    if not _insert_once(event):
        event = WebhookEvent.objects.get(event_id=event.event_id)
    logger.warning("Webhook %s kept for replay: its envelope is unreadable.", event.event_id)
    return event


class _HandlerFailed(Exception):
    """Carries a handler's failure out of the atomic block so it rolls back."""

    def __init__(self, error: str, trace: str, retry: bool) -> None:
        super().__init__(error)
        self.error, self.trace, self.retry = error, trace, retry


def receive(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Outcome:
    """Store a verified delivery and apply it once.

    A duplicate ``event_id`` is not applied again, unless its earlier attempt failed with an
    unexpected error: that is Recur retrying after our 500, so it is applied now. A handler
    that needs Recur to confirm the event is run again after the confirmation (see
    :mod:`recur_django.webhooks.confirmation`).
    """
    return confirming(lambda: _receive(body, headers, envelope))


def _receive(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Outcome:
    event_id, event_type = envelope["id"], envelope["type"]
    handler = get_handler(event_type)
    event = WebhookEvent(
        event_id=event_id,
        type=event_type,
        body=body,
        headers=recorded_headers(headers),
        payload=dict(envelope),
        status=WebhookEvent.Status.PROCESSED if handler else WebhookEvent.Status.IGNORED,
        attempts=1,
        processed_at=timezone.now(),
    )
    stored = False
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            stored = True
            _run(event, envelope, handler)
            if event.status != WebhookEvent.Status.PROCESSED and handler is not None:
                event.save(update_fields=["status", "error"])
            send_after_commit(signals.webhook_received, sender=WebhookEvent, event=event)
    except IntegrityError as exc:
        if stored:
            raise
        return _redeliver(event_id, envelope, handler, exc)
    except _HandlerFailed as failure:
        return _record_failure(event, failure, fresh=True)
    _log_outcome(event)
    return Outcome(str(event.status), event)


def _redeliver(
    event_id: str, envelope: Mapping[str, Any], handler: Handler | None, error: IntegrityError
) -> Outcome:
    # Most redeliveries are plain duplicates: answer those from one unlocked read.
    known = WebhookEvent.objects.filter(event_id=event_id).first()
    if known is None:
        # The INSERT failed for another reason than a duplicate id: report that error.
        raise error
    if known is not None and not known.retryable:
        logger.info("Webhook %s (%s) is a duplicate; not applied again.", event_id, known.type)
        return Outcome("duplicate", known)
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(event_id=event_id)
            if not event.retryable:
                logger.info(
                    "Webhook %s (%s) is a duplicate; not applied again.", event_id, event.type
                )
                return Outcome("duplicate", event)
            _reapply(event, envelope, handler)
    except _HandlerFailed as failure:
        return _record_failure(event, failure, fresh=False)
    _log_outcome(event)
    return Outcome(str(event.status), event)


def replay(event: WebhookEvent | str) -> Outcome:
    """Re-verify a stored event's raw body and apply it again (handlers are idempotent).

    Raises :class:`~recur_django.webhooks.signature.SignatureError` when the stored body no
    longer verifies against the configured secrets, EnvelopeError when it does not parse,
    and ``WebhookEvent.DoesNotExist`` for an unknown id.
    """
    event_id = event.event_id if isinstance(event, WebhookEvent) else event
    if event_id.startswith(UNREADABLE_PREFIX):
        return _replay_unreadable(event_id)
    return confirming(lambda: _replay(event_id))


def _replay(event_id: str) -> Outcome:
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().get(event_id=event_id)
            body = bytes(stored.body)
            headers = stored.headers if isinstance(stored.headers, Mapping) else {}
            verify_signature(body, headers, recur_settings.WEBHOOK_SECRETS)
            envelope = parse_envelope(body)
            _reapply(stored, envelope, get_handler(stored.type))
    except _HandlerFailed as failure:
        outcome = _record_failure(stored, failure, fresh=False)
    else:
        outcome = Outcome(str(stored.status), stored)
    logger.info("Webhook %s replayed: %s", event_id, outcome.status)
    return outcome


def _replay_unreadable(event_id: str) -> Outcome:
    """Read a kept unreadable delivery again; once it parses, receive it under its real id."""
    stored = WebhookEvent.objects.get(event_id=event_id)
    body = bytes(stored.body)
    headers = stored.headers if isinstance(stored.headers, Mapping) else {}
    verify_signature(body, headers, recur_settings.WEBHOOK_SECRETS)
    try:
        envelope = parse_envelope(body)
    except EnvelopeError as exc:
        WebhookEvent.objects.filter(pk=stored.pk).update(
            attempts=stored.attempts + 1, error=str(exc)[:5000], processed_at=timezone.now()
        )
        raise
    outcome = receive(body, headers, envelope)
    stored.status = WebhookEvent.Status.PROCESSED
    stored.error = f"Replayed as {outcome.event.event_id} ({outcome.status})."
    stored.attempts += 1
    stored.processed_at = timezone.now()
    stored.save(update_fields=["status", "error", "attempts", "processed_at"])
    logger.info("Webhook %s replayed as %s: %s", event_id, outcome.event.event_id, outcome.status)
    return outcome


def _reapply(event: WebhookEvent, envelope: Mapping[str, Any], handler: Handler | None) -> None:
    """Apply a stored event again and save its new state (inside the caller's atomic)."""
    event.attempts += 1
    event.status = WebhookEvent.Status.PROCESSED if handler else WebhookEvent.Status.IGNORED
    event.error = ""
    event.traceback = ""
    event.processed_at = timezone.now()
    _run(event, envelope, handler)
    event.save(update_fields=["status", "error", "traceback", "attempts", "processed_at"])


def _run(event: WebhookEvent, envelope: Mapping[str, Any], handler: Handler | None) -> None:
    """Call ``handler``; turn any exception into :class:`_HandlerFailed` (rolls back)."""
    if handler is None:
        return
    data = envelope.get("data") or {}
    try:
        handler(event, data)
    except ConfirmationNeeded as exc:
        if confirmation() is None:
            raise  # rolls back; confirming() asks Recur outside and runs the delivery again
        error = f"{type(exc).__name__}: asked for confirmation twice"
        raise _HandlerFailed(error, traceback.format_exc(), retry=True) from exc
    except EventRejected as exc:
        raise _HandlerFailed(str(exc)[:5000] or type(exc).__name__, "", retry=False) from exc
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:5000]
        raise _HandlerFailed(error, traceback.format_exc(), retry=True) from exc


def _insert_once(event: WebhookEvent) -> bool:
    """INSERT ``event``; False when its event_id exists. One statement in autocommit mode."""
    try:
        if transaction.get_autocommit():
            event.save(force_insert=True)
        else:
            with transaction.atomic():
                event.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def _record_failure(event: WebhookEvent, failure: _HandlerFailed, *, fresh: bool) -> Outcome:
    """Record a failed attempt after its transaction was rolled back."""
    if fresh:
        event.pk = None
        event.status = WebhookEvent.Status.FAILED
        event.error, event.traceback = failure.error, failure.trace
        if not _insert_once(event):
            # A concurrent delivery of the same id stored it meanwhile; it owns the outcome.
            existing = WebhookEvent.objects.get(event_id=event.event_id)
            return Outcome("duplicate", existing, retry=failure.retry)
        send_after_commit(signals.webhook_received, sender=WebhookEvent, event=event)
        target = event
    else:
        with transaction.atomic():
            target = WebhookEvent.objects.select_for_update().get(event_id=event.event_id)
            target.attempts += 1
            target.status = WebhookEvent.Status.FAILED
            target.error, target.traceback = failure.error, failure.trace
            target.processed_at = timezone.now()
            target.save(update_fields=["status", "error", "traceback", "attempts", "processed_at"])
    if failure.retry:
        logger.error(
            "Webhook %s (%s) failed with %s; changes rolled back, the sender will retry.",
            target.event_id,
            target.type,
            failure.error.split(":", 1)[0],
        )
    else:
        logger.warning("Webhook %s (%s) rejected: %s", target.event_id, target.type, failure.error)
    return Outcome(str(target.status), target, retry=failure.retry)


def _log_outcome(event: WebhookEvent) -> None:
    logger.info("Webhook %s (%s) %s.", event.event_id, event.type, event.status)
