"""Task mode's queue: the stored :class:`~recur_django.models.WebhookEvent` rows themselves.

An event is **due** when it is RECEIVED, or when it failed retryably
(``retryable=True``), has run at most ``RECUR['WEBHOOK_TASK_RETRIES']`` times
(``attempts``) and its backoff has passed since its last run (``processed_at`` +
:func:`backoff`). :func:`drain` applies due events, oldest first, until none is left:

- on PostgreSQL (any database with ``SELECT … FOR UPDATE SKIP LOCKED``) it claims up to
  ``batch`` due rows in one transaction, skipping rows another worker holds, and applies
  each in a savepoint of that transaction — the fast path's stored statement for a paid
  first purchase, else the full path (``redispatch``); then one COMMIT for the batch.
  Concurrent workers never claim the same row, and a row stays locked until its outcome is
  committed, so an event is applied once. A worker that dies mid-batch commits nothing:
  its rows are RECEIVED again for the next drain. A handler that needs Recur's
  confirmation is rolled back to its savepoint and applied alone after the batch's commit
  (Recur is never called inside a transaction);
- elsewhere (SQLite) one event at a time through :func:`process_stored`, which re-checks
  under the event's row lock that it is still pending (a single worker is the supported
  setup there).

Signals of a batch are sent after its commit (``send_after_commit``); a savepoint rolled
back drops its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from recur_django.conf import recur_settings
from recur_django.exceptions import ConfirmationNeeded
from recur_django.models import WebhookEvent
from recur_django.webhooks import dispatch, fast_path
from recur_django.webhooks.confirmation import confirming
from recur_django.webhooks.dispatch import Outcome

logger = logging.getLogger("recur_django.webhooks")

Status = WebhookEvent.Status
#: What a worker reads of a stored event (the fast path also reads its time and attempts).
STORED_FIELDS = (
    "event_id", "type", "status", "retryable", "attempts", "payload", "headers", "received_at",
    "processed_at",
)  # fmt: skip
#: Events claimed per transaction by default.
BATCH = 20
#: The first retry waits this long; each next one twice as long, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
#: How often a lingering drain looks for new events.
POLL_SECONDS = 0.05
#: Inside a batch, how long a statement may wait for a lock another transaction holds
#: (PostgreSQL ``lock_timeout``); an event that waits longer is applied alone after the
#: batch's commit, so a batch never holds its locks while it waits (no deadlock, no chain).
LOCK_WAIT = "100ms"


def backoff(attempt: int) -> timedelta:
    """How long to wait before running again an event whose ``attempt``-th run failed."""
    return min(FIRST_BACKOFF * 2 ** max(attempt - 1, 0), MAX_BACKOFF)


def due_q(now: datetime | None = None) -> Q:
    """The events a worker should apply now (see the module docstring)."""
    now = now or timezone.now()
    retries = int(recur_settings.WEBHOOK_TASK_RETRIES)
    waited = Q()
    for attempt in range(1, retries + 1):
        waited |= Q(attempts=attempt, processed_at__lte=now - backoff(attempt))
    due = Q(status=Status.RECEIVED)
    if retries > 0:
        due |= Q(status=Status.FAILED, retryable=True) & waited
    return due


def due_events(now: datetime | None = None) -> QuerySet[WebhookEvent]:
    """Due events, oldest first."""
    return WebhookEvent.objects.filter(due_q(now)).order_by("received_at", "pk")


@dataclass
class Drained:
    """What :func:`drain` did: ``{event_id: status}`` and when the earliest retry of an
    event that failed meanwhile falls due (None: no retry pending)."""

    outcomes: dict[str, str] = field(default_factory=dict)
    retry_at: datetime | None = None

    def add(self, outcome: Outcome) -> None:
        event = outcome.event
        self.outcomes[event.event_id] = str(outcome.status)
        if not (outcome.retry and event.status == Status.FAILED):
            return
        if event.attempts > int(recur_settings.WEBHOOK_TASK_RETRIES):
            logger.error(
                "Webhook %s still failing after %d runs; left failed for recur_replay.",
                event.event_id,
                event.attempts,
            )
            return
        when = (event.processed_at or timezone.now()) + backoff(event.attempts)
        logger.warning("Webhook %s failed; retry %d at %s.", event.event_id, event.attempts, when)
        self.retry_at = when if self.retry_at is None else min(self.retry_at, when)


def process_stored(event_id: str) -> Outcome | None:
    """Apply one stored, still pending event on its own; None when the id is unknown.

    An event that is no longer pending (processed by another worker, a redelivery or a
    replay) is answered as ``duplicate`` without being applied again.
    """
    row = WebhookEvent.objects.filter(event_id=event_id).only(*STORED_FIELDS).first()
    if row is None:
        logger.warning("Webhook worker: event %s is not stored; nothing to do.", event_id)
        return None
    if not row.pending or not isinstance(row.payload, dict):
        return Outcome("duplicate", row)
    envelope = row.payload
    fast = row.status == Status.RECEIVED and fast_path.enabled()
    if fast and fast_path.apply_stored(row, envelope):
        return Outcome(str(row.status), row)
    return confirming(lambda: dispatch.redispatch(event_id, envelope, only_pending=True))


def drain(batch: int = BATCH, *, until: float | None = None) -> Drained:
    """Apply due events until none is left; with ``until`` (a ``time.time()``), keep
    looking for new ones until then. Each event is tried at most once per call."""
    done = Drained()
    tried: set[str] = set()
    batched = connection.features.has_select_for_update_skip_locked
    while True:
        claimed = _batch(max(1, batch), tried, done) if batched else _one(tried, done)
        if claimed:
            continue
        if until is None or time.time() >= until:
            return done
        time.sleep(POLL_SECONDS)


def _one(tried: set[str], done: Drained) -> int:
    """Apply the oldest due event not tried yet (databases without SKIP LOCKED)."""
    ids = due_events().values_list("event_id", flat=True)
    event_id = next((i for i in ids[: len(tried) + 1] if i not in tried), None)
    if event_id is None:
        return 0
    tried.add(event_id)
    _alone(event_id, done)
    return 1


def _batch(size: int, tried: set[str], done: Drained) -> int:
    """Claim up to ``size`` due rows, apply them in one transaction; the number claimed
    that had not been tried before (0: nothing left for this call)."""
    later: list[str] = []
    applied: list[Outcome] = []
    rows: list[WebhookEvent] = []
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Foreign keys checked at each statement, not at COMMIT: a batch takes no
                # lock when it commits, and every wait falls under lock_timeout.
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SET LOCAL lock_timeout = '{LOCK_WAIT}'; SET CONSTRAINTS ALL IMMEDIATE"
                    )
            rows = [row for row in _claim(size) if row.event_id not in tried]
            for row in rows:
                tried.add(row.event_id)
                outcome = _in_batch(row)
                if outcome is None:
                    later.append(row.event_id)
                else:
                    applied.append(outcome)
    except DatabaseError as exc:  # the batch did not commit: each of its events alone
        logger.warning("A webhook batch was rolled back (%s); its events applied alone.", exc)
        later, applied = [row.event_id for row in rows], []
    for outcome in applied:
        done.add(outcome)
    for event_id in later:  # no transaction is open here
        _alone(event_id, done)
    return len(rows)


def _claim(size: int) -> list[WebhookEvent]:
    """Lock up to ``size`` due rows no other worker holds: RECEIVED ones first, in the order
    of the (status, received_at) index, so a claim reads ``size`` rows however long the
    queue (no sort of the whole queue); then retries that fell due."""

    def locked(rows: QuerySet[WebhookEvent], n: int) -> list[WebhookEvent]:
        ordered = rows.order_by("received_at").select_for_update(skip_locked=True)
        return list(ordered.only(*STORED_FIELDS)[:n])

    claimed = locked(WebhookEvent.objects.filter(status=Status.RECEIVED), size)
    if len(claimed) < size:
        retries = WebhookEvent.objects.filter(due_q() & Q(status=Status.FAILED))
        claimed += locked(retries, size - len(claimed))
    return claimed


def _in_batch(row: WebhookEvent) -> Outcome | None:
    """Apply a claimed row inside the batch; None when it must be applied alone.

    Every statement of both paths runs in a savepoint of its own (the fast path's, the
    full path's ``atomic``), so whatever fails leaves the batch's transaction usable.
    """
    envelope = row.payload
    if not isinstance(envelope, Mapping):
        return Outcome("duplicate", row)
    try:
        fast = row.status == Status.RECEIVED and fast_path.enabled()
        if fast and fast_path.apply_stored(row, envelope):
            return Outcome(str(row.status), row)
        return dispatch.redispatch(row.event_id, dict(envelope), only_pending=True, locked=row)
    except ConfirmationNeeded:
        return None  # asks Recur: only outside the batch's transaction
    except Exception as exc:
        if not dispatch.lock_timed_out(exc):
            logger.warning("Webhook %s left the batch (%s); applied alone.", row.event_id, exc)
        return None


def _alone(event_id: str, done: Drained) -> None:
    try:
        outcome = process_stored(event_id)
    except Exception:
        logger.exception("Webhook %s could not be applied; it stays pending.", event_id)
        return
    if outcome is not None:
        done.add(outcome)
