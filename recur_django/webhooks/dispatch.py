"""The last two steps of the webhook pipeline: store a verified event, dispatch it once.

One delivery is one database transaction: the :class:`~recur_django.models.WebhookEvent`
row is inserted first (its unique ``event_id`` is the dedupe key, and the insert makes a
concurrent delivery of the same id wait for this one), then the handler applies it. The
happy path is BEGIN, INSERT, the handler's statements, COMMIT — no savepoint round trips:
the row is inserted with the status the handler is expected to give it, so RECEIVED is
never seen for an inline delivery. :func:`store` alone inserts a RECEIVED row, which
:func:`redispatch` (replay, a task worker) processes later.

When the handler raises, the whole transaction is rolled back, so none of its business
changes survive, and the event is then recorded as failed (with the error and, for
unexpected errors, the traceback and ``retryable=True``) in a second short transaction:
the row always survives. A redelivery of a RECEIVED or retryable event is applied; a
processed, ignored or rejected one is a duplicate.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from recur_django import signals
from recur_django.exceptions import EventFlagged, EventIgnored, EventRejected
from recur_django.models import WebhookEvent
from recur_django.signals import send_after_commit
from recur_django.webhooks.confirmation import ConfirmationNeeded, confirmation
from recur_django.webhooks.envelope import recorded_headers
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.registry import Handler, get_handler

logger = logging.getLogger("recur_django.webhooks")

#: Event-id prefix of signed deliveries whose envelope could not be read.
UNREADABLE_PREFIX = "unreadable_"
UNREADABLE_TYPE = "(unreadable)"

Status = WebhookEvent.Status
#: What one attempt at applying a stored event writes.
ATTEMPT_FIELDS = ["status", "error", "traceback", "retryable", "attempts", "processed_at"]


@dataclass(frozen=True)
class Outcome:
    """The result of storing and dispatching one event (or replaying it).

    ``status`` is ``processed``, ``ignored``, ``failed``, ``duplicate`` or ``received``;
    ``retry`` is True when an unexpected error happened and the sender should try again.
    """

    status: str
    event: WebhookEvent
    retry: bool = False

    @property
    def http_status(self) -> int:
        return 500 if self.retry else 200


class _HandlerFailed(Exception):
    """Carries a handler's failure out of the atomic block so it rolls back."""

    def __init__(self, error: str, trace: str, retry: bool) -> None:
        super().__init__(error)
        self.error, self.trace, self.retry = error, trace, retry


def new_row(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> WebhookEvent:
    """The unsaved RECEIVED row of a verified delivery (also what the fast path inserts)."""
    return WebhookEvent(
        event_id=envelope["id"],
        type=envelope["type"],
        body=body,
        headers=recorded_headers(headers),
        payload=dict(envelope),
        status=Status.RECEIVED,
        attempts=0,
    )


def store(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Outcome:
    """Store a verified event as RECEIVED without applying it (``duplicate`` if known)."""
    event = new_row(body, headers, envelope)
    # The payload is the body's own JSON (parse_envelope read it as is): on PostgreSQL its
    # text goes to the jsonb column unchanged instead of being encoded again.
    if not _insert_once(event, payload_text=body.decode("utf-8")):
        return Outcome("duplicate", WebhookEvent.objects.get(event_id=event.event_id))
    send_after_commit(signals.webhook_received, sender=WebhookEvent, event=event)
    logger.info("Webhook %s (%s) stored for later processing.", event.event_id, event.type)
    return Outcome(str(event.status), event)


def store_and_dispatch(
    body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]
) -> Outcome:
    """Store a verified delivery and apply it once, in one transaction.

    A duplicate ``event_id`` is not applied again unless it is still RECEIVED or failed
    retryably (Recur retrying after our 500): then it is applied now.
    """
    handler = get_handler(envelope["type"])
    event = new_row(body, headers, envelope)
    event.status = Status.PROCESSED if handler else Status.IGNORED
    event.attempts, event.processed_at = 1, timezone.now()
    inserted = False
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            inserted = True
            if _run(event, envelope, handler):
                event.save(update_fields=["status", "error"])
            send_after_commit(signals.webhook_received, sender=WebhookEvent, event=event)
    except IntegrityError:
        if inserted:
            raise
        known = WebhookEvent.objects.filter(event_id=event.event_id).first()
        if known is None:
            raise  # the INSERT failed for another reason than a duplicate id
        if not known.pending:
            # Most redeliveries are plain duplicates: answered from one unlocked read.
            return _duplicate(known)
        return redispatch(event.event_id, envelope, handler)
    except _HandlerFailed as failure:
        return _record_failure(event, failure, fresh=True)
    _log_outcome(event)
    return Outcome(str(event.status), event)


def redispatch(
    event_id: str,
    envelope: Mapping[str, Any],
    handler: Handler | None = None,
    *,
    only_pending: bool = True,
    locked: WebhookEvent | None = None,
) -> Outcome:
    """Apply a stored event again under a row lock (redelivery, replay, a task worker).

    With ``only_pending`` (a redelivery) an event that is no longer RECEIVED or retryable
    is answered as a duplicate; a replay passes False and applies it again (handlers are
    idempotent). ``locked``: the event's row, already locked by the caller's transaction
    (a worker's batch); then a lock wait cut short by ``lock_timeout`` is raised
    (:func:`lock_timed_out`), not recorded as the handler's failure.
    """
    handler = handler or get_handler(envelope["type"])
    try:
        with transaction.atomic():
            event = locked or WebhookEvent.objects.select_for_update().get(event_id=event_id)
            if only_pending and not event.pending:
                return _duplicate(event)
            event.attempts += 1
            event.status = Status.PROCESSED if handler else Status.IGNORED
            event.error, event.traceback, event.retryable = "", "", False
            event.processed_at = timezone.now()
            _run(event, envelope, handler, yield_locks=locked is not None)
            event.save(update_fields=ATTEMPT_FIELDS)
    except _HandlerFailed as failure:
        return _record_failure(event, failure, fresh=False)
    _log_outcome(event)
    return Outcome(str(event.status), event)


def _duplicate(event: WebhookEvent) -> Outcome:
    logger.info("Webhook %s (%s) is a duplicate; not applied again.", event.event_id, event.type)
    return Outcome("duplicate", event)


def lock_timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL's "canceling statement due to lock timeout" (55P03)."""
    cause = exc.__cause__ or exc
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == "55P03"


def _run(
    event: WebhookEvent,
    envelope: Mapping[str, Any],
    handler: Handler | None,
    *,
    yield_locks: bool = False,
) -> bool:
    """Call ``handler`` with the RecurEvent; True when it set the event's status itself
    (ignored, or failed with what it flagged kept: ``EventFlagged``).

    Any other exception becomes :class:`_HandlerFailed`, which rolls the transaction back
    (with ``yield_locks``, a lock timeout is raised as it is).
    """
    if handler is None:
        return False
    try:
        handler(RecurEvent.from_envelope(envelope, event))
    except EventIgnored as exc:
        event.status, event.error = Status.IGNORED, str(exc.reason)[:5000]
        return True
    except ConfirmationNeeded as exc:
        if confirmation(exc.kind) is None:
            raise  # rolls back; the confirmation step asks Recur outside and runs it again
        error = f"{type(exc).__name__}: asked for confirmation twice"
        raise _HandlerFailed(error, traceback.format_exc(), retry=True) from exc
    except EventFlagged as exc:  # failed, not retried, but the flagged rows are kept
        event.status, event.error = Status.FAILED, str(exc)[:5000] or type(exc).__name__
        logger.warning("Webhook %s (%s) flagged: %s", event.event_id, event.type, event.error)
        return True
    except EventRejected as exc:
        raise _HandlerFailed(str(exc)[:5000] or type(exc).__name__, "", retry=False) from exc
    except Exception as exc:
        if yield_locks and lock_timed_out(exc):
            raise
        error = f"{type(exc).__name__}: {exc}"[:5000]
        raise _HandlerFailed(error, traceback.format_exc(), retry=True) from exc
    return False


def keep_unreadable(body: bytes, headers: Mapping[str, str], error: str) -> WebhookEvent:
    """Store a *signed* delivery whose envelope could not be read, as a failed event.

    Its signature proves it came from Recur, so it is kept for replay (after an upgrade
    that understands it) instead of being lost. The id is derived from the body, so
    Recur's redeliveries of the same body are stored once; it can never equal a real
    ``evt_…`` id, so it cannot pre-empt one.
    """
    event = WebhookEvent(
        event_id=UNREADABLE_PREFIX + hashlib.sha256(body).hexdigest(),
        type=UNREADABLE_TYPE,
        body=body,
        headers=recorded_headers(headers),
        payload=None,
        status=Status.FAILED,
        error=error[:5000],
        attempts=1,
        processed_at=timezone.now(),
    )
    if not _insert_once(event):
        event = WebhookEvent.objects.get(event_id=event.event_id)
    logger.warning("Webhook %s kept for replay: its envelope is unreadable.", event.event_id)
    return event


def _insert_once(event: WebhookEvent, *, payload_text: str | None = None) -> bool:
    """INSERT ``event``; False when its event_id exists. One statement, no savepoint.

    ``INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING id`` where the database has it
    (PostgreSQL, SQLite 3.35+), so a duplicate is not an error and the statement may run
    inside a caller's transaction; elsewhere the ORM's INSERT, in a savepoint.
    """
    if connection.vendor in ("postgresql", "sqlite") and (
        connection.features.can_return_columns_from_insert
    ):
        fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
        raw = payload_text if connection.vendor == "postgresql" else None
        values = [
            raw
            if raw is not None and f.name == "payload"
            else f.get_db_prep_save(f.pre_save(event, True), connection)
            for f in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(connection.vendor, tuple(f.column for f in fields)), values)
            row = cursor.fetchone()
        if row is None:
            return False
        event.pk = row[0]
        event._state.adding, event._state.db = False, connection.alias
        return True
    try:
        if transaction.get_autocommit():
            event.save(force_insert=True)
        else:
            with transaction.atomic():
                event.save(force_insert=True)
    except IntegrityError:
        return False
    return True


@lru_cache(maxsize=2)
def _insert_sql(vendor: str, columns: tuple[str, ...]) -> str:
    """The INSERT of :func:`_insert_once` for ``vendor`` (both quote names alike)."""
    quote = connection.ops.quote_name
    table, pk = WebhookEvent._meta.db_table, WebhookEvent._meta.pk.column or "id"
    return (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({quote('event_id')}) DO NOTHING RETURNING {quote(pk)}"
    )


def _record_failure(event: WebhookEvent, failure: _HandlerFailed, *, fresh: bool) -> Outcome:
    """Record a failed attempt after its transaction was rolled back."""
    if fresh:
        event.pk = None
        event.status = Status.FAILED
        event.error, event.traceback = failure.error, failure.trace
        event.retryable = failure.retry
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
            target.status = Status.FAILED
            target.error, target.traceback = failure.error, failure.trace
            target.retryable = failure.retry
            target.processed_at = timezone.now()
            target.save(update_fields=ATTEMPT_FIELDS)
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
