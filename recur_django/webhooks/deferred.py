"""Task mode: the endpoint stores an event, a task on Django's tasks framework applies it.

With ``RECUR['WEBHOOK_PROCESSING'] = "task"`` the endpoint verifies the delivery, stores it
as RECEIVED and answers 200 (:func:`store_for_task`). When the task backend keeps its
queue in the same database (django-tasks-db's ``DatabaseBackend``), the event row and its
task row are written in ONE transaction: one commit, and never an event without its task
or a task a worker could pick before its event is visible. With any other backend
(Celery, RQ, …) the event is stored in autocommit and :data:`process_webhook_event` is
enqueued once the row is committed (:func:`enqueue_on_commit`). A worker (``manage.py
db_worker`` with django-tasks-db) runs it:

- a RECEIVED paid first purchase is applied by the fast path's one statement (its stored
  form, :func:`~recur_django.webhooks.fast_path.apply_stored`, on PostgreSQL); anything
  else, and anything that statement does not apply, goes through the same steps as a
  redelivery (:func:`~recur_django.webhooks.dispatch.redispatch` under the event's row
  lock, with the confirmation step), so a duplicate task, a concurrent worker or a
  redelivery never applies it twice: whoever takes the lock second sees it is no longer
  pending;
- the signature is **not** verified again: it was verified before the row was written, and
  the task reads the envelope stored then. Verifying again would add nothing a database
  writer could not also forge, and would strand events received just before a secret
  rotation. ``recur_replay`` still re-verifies, as before;
- a handler that fails unexpectedly (``retryable``) is retried by enqueueing the task again
  with ``run_after`` (backoff 30 s, 60 s, 120 s, …, at most one hour), at most
  ``RECUR['WEBHOOK_TASK_RETRIES']`` times; then the event stays ``failed`` for
  ``recur_replay --failed`` and the admin.

When enqueueing fails (the backend is down) the event stays RECEIVED: nothing is lost, and
``recur_replay --stale`` (run from cron) enqueues every event RECEIVED for longer than
``RECUR['WEBHOOK_STALE_AFTER']`` seconds. So does a worker killed in the middle of a task.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import router, transaction
from django.utils import timezone

from recur_django import tasks
from recur_django.conf import recur_settings
from recur_django.models import WebhookEvent
from recur_django.webhooks import dispatch, fast_path
from recur_django.webhooks.confirmation import confirming
from recur_django.webhooks.dispatch import Outcome

logger = logging.getLogger("recur_django.webhooks")

#: What a task reads of a stored event (the fast path also reads its time and attempts).
STORED_FIELDS = (
    "event_id", "type", "status", "retryable", "attempts", "payload", "headers", "received_at",
)  # fmt: skip

#: The first retry waits this long; each next one twice as long, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


def process_stored(event_id: str) -> Outcome | None:
    """Apply a stored, still pending event once; None when the id is unknown.

    An event that is no longer pending (processed by another worker, a redelivery or a
    replay) is answered as ``duplicate`` without being applied again.
    """
    row = WebhookEvent.objects.filter(event_id=event_id).only(*STORED_FIELDS).first()
    if row is None:
        logger.warning("Webhook task: event %s is not stored; nothing to do.", event_id)
        return None
    if not row.pending or not isinstance(row.payload, dict):
        return Outcome("duplicate", row)
    envelope = row.payload
    fast = row.status == WebhookEvent.Status.RECEIVED and fast_path.enabled()
    if fast and fast_path.apply_stored(row, envelope):
        return Outcome(str(row.status), row)
    return confirming(lambda: dispatch.redispatch(event_id, envelope, only_pending=True))


def backoff(attempt: int) -> timedelta:
    """How long to wait before re-running a task whose ``attempt``-th run failed."""
    return min(FIRST_BACKOFF * 2 ** max(attempt - 1, 0), MAX_BACKOFF)


def _process(event_id: str, attempt: int = 1) -> str:
    """The task body: apply the event, schedule a retry when a handler failed retryably."""
    outcome = process_stored(event_id)
    if outcome is None:
        return "unknown"
    if outcome.retry and outcome.event.status == WebhookEvent.Status.FAILED:
        retries = int(recur_settings.WEBHOOK_TASK_RETRIES)
        if attempt <= retries:
            _retry(event_id, attempt)
        else:
            logger.error(
                "Webhook %s still failing after %d task runs; left failed for recur_replay.",
                event_id,
                attempt,
            )
    return outcome.status


def _retry(event_id: str, attempt: int) -> None:
    task = process_webhook_event
    if not task.get_backend().supports_defer:
        logger.error(
            "Webhook %s failed; the task backend cannot delay a retry, so it is left "
            "failed for recur_replay.",
            event_id,
        )
        return
    when: datetime = timezone.now() + backoff(attempt)
    try:
        task.using(run_after=when).enqueue(event_id, attempt + 1)
    except Exception as exc:
        logger.error("Webhook %s: the retry could not be enqueued (%s).", event_id, exc)
    else:
        logger.warning("Webhook %s failed; task retry %d at %s.", event_id, attempt, when)


def _define_task() -> Any:
    """The task object, or None when no tasks framework (or backend) is usable.

    The worker finds a task by its function's module and qualified name, so ``_process``
    takes the public name the task is bound to.
    """
    if not tasks.available():
        return None
    _process.__name__ = _process.__qualname__ = "process_webhook_event"
    try:
        return tasks.task()(_process)
    except Exception as exc:  # the default backend cannot be loaded or refuses the task
        logger.error("The webhook task cannot be defined: %s: %s", type(exc).__name__, exc)
        return None


#: The task (None when no tasks framework is usable): ``process_webhook_event.enqueue(id)``.
process_webhook_event: Any = _define_task()


def enqueue(event_id: str) -> bool:
    """Enqueue the task for a stored event; False (and a log line) when that failed."""
    if process_webhook_event is None:
        logger.error(
            "Webhook %s stays received: no tasks framework is installed (recur.E010).", event_id
        )
        return False
    try:
        process_webhook_event.enqueue(event_id)
    except Exception as exc:
        logger.error(
            "Webhook %s stays received: the task could not be enqueued (%s: %s); "
            "recur_replay --stale will enqueue it.",
            event_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def store_for_task(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Outcome:
    """Store a verified event as RECEIVED and enqueue its task (see the module docstring).

    Should the enqueue fail inside the shared transaction, that transaction is rolled back
    and the event is stored on its own, as with any other backend: it waits, RECEIVED, for
    ``recur_replay --stale``.
    """
    if _queue_shares_the_database():
        try:
            with transaction.atomic():
                outcome = dispatch.store(body, headers, envelope)
                if outcome.status == WebhookEvent.Status.RECEIVED:
                    process_webhook_event.enqueue(outcome.event.event_id)
            return outcome
        except Exception as exc:
            logger.error(
                "Webhook %s: the task could not be enqueued with the event (%s: %s); "
                "storing the event alone.",
                envelope.get("id"),
                type(exc).__name__,
                exc,
            )
    outcome = dispatch.store(body, headers, envelope)
    if outcome.status == WebhookEvent.Status.RECEIVED:
        enqueue_on_commit(outcome.event.event_id)
    return outcome


def _queue_shares_the_database() -> bool:
    """Whether the task backend is django-tasks-db writing where the events are written."""
    if process_webhook_event is None:
        return False
    try:
        backend = process_webhook_event.get_backend()
    except Exception:  # an unknown alias or a backend that cannot be loaded: enqueue says why
        return False
    if not tasks.is_django_tasks_db(backend):
        return False
    try:
        # Lazy: django-tasks-db is an optional dependency, loaded only with its backend.
        from django_tasks_db.models import DBTaskResult
    except Exception:  # not in INSTALLED_APPS (recur.E011): enqueue logs why, event kept
        return False
    return bool(router.db_for_write(DBTaskResult) == router.db_for_write(WebhookEvent))


def enqueue_on_commit(event_id: str) -> None:
    """Enqueue the task once the stored event is committed (at once in autocommit)."""
    transaction.on_commit(lambda: enqueue(event_id))


def stale_events(older_than: float | None = None) -> list[str]:
    """Ids of events RECEIVED longer than ``older_than`` seconds ago (default: the setting)."""
    seconds = recur_settings.WEBHOOK_STALE_AFTER if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=float(seconds))
    stale = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.RECEIVED, received_at__lte=cutoff
    )
    return list(stale.order_by("received_at").values_list("event_id", flat=True))
