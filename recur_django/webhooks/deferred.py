"""Task mode: the endpoint stores an event (one row), workers drain the stored events.

With ``RECUR['WEBHOOK_PROCESSING'] = "task"`` the endpoint verifies the delivery, stores it
as RECEIVED in autocommit — one INSERT, one commit — and answers 200
(:func:`store_for_task`). The stored row is its own queue entry: workers claim due events
with ``SELECT … FOR UPDATE SKIP LOCKED``, several per transaction
(:func:`recur_django.webhooks.drain.drain`). Django's tasks framework only **wakes** them:
after the row commits, a web process enqueues :data:`drain_webhook_events` at most once per
:data:`WAKE_EVERY` seconds (not once per event), and a woken worker drains until no event
is due and keeps looking until that window has passed, so an event whose wake was skipped
is still found. With ``manage.py db_worker`` (django-tasks-db) the workers run it.

- the signature is **not** verified again: it was verified before the row was written, and
  the worker reads the envelope stored then. Verifying again would add nothing a database
  writer could not also forge, and would strand events received just before a secret
  rotation. ``recur_replay`` still re-verifies, as before;
- a handler that fails unexpectedly (``retryable``) is due again after a backoff (30 s,
  60 s, 120 s, …, at most one hour, from its last run), at most
  ``RECUR['WEBHOOK_TASK_RETRIES']`` times; the drain that saw it fail enqueues a wake for
  then (``run_after``). After the last retry the event stays ``failed`` for
  ``recur_replay --failed`` and the admin.

When the wake cannot be enqueued (the backend is down) the event stays RECEIVED: nothing
is lost, the next event's wake or ``recur_replay --stale`` (run from cron: it wakes the
workers when an event is RECEIVED for longer than ``RECUR['WEBHOOK_STALE_AFTER']``
seconds) drains it. A worker killed mid-batch commits nothing; its events are drained by
the next wake.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from recur_django import tasks
from recur_django.conf import recur_settings
from recur_django.models import WebhookEvent
from recur_django.webhooks import dispatch, drain
from recur_django.webhooks.dispatch import Outcome

logger = logging.getLogger("recur_django.webhooks")

#: A web process enqueues at most one wake per this many seconds; a woken worker keeps
#: looking for new events until this long after the wake was enqueued.
WAKE_EVERY = 1.0
#: Added to the window: clocks of web and worker machines may differ a little.
CLOCK_MARGIN = 0.5

_wake_lock = threading.Lock()
_last_wake = [float("-inf")]  # time.monotonic() of this process's last enqueued wake


def _drain(linger_until: float | None = None) -> int:
    """The task body: drain due events (until ``linger_until``, a ``time.time()``), wake
    again for the earliest retry; returns how many events it applied or tried."""
    done = drain.drain(until=linger_until)
    if done.retry_at is not None:
        wake(at=done.retry_at)
    return len(done.outcomes)


def _define_task() -> Any:
    """The task object, or None when no tasks framework (or backend) is usable.

    The worker finds a task by its function's module and qualified name, so ``_drain``
    takes the public name the task is bound to.
    """
    if not tasks.available():
        return None
    _drain.__name__ = _drain.__qualname__ = "drain_webhook_events"
    try:
        return tasks.task()(_drain)
    except Exception as exc:  # the default backend cannot be loaded or refuses the task
        logger.error("The webhook task cannot be defined: %s: %s", type(exc).__name__, exc)
        return None


#: The wake task (None when no tasks framework is usable): drains the stored events.
drain_webhook_events: Any = _define_task()


def _lingers(backend: Any) -> bool:
    """Whether wakes are throttled and lingered on (a worker runs them, not the request)."""
    return type(backend).__name__ not in tasks.NOT_DEFERRING_BACKENDS


def wake(*, at: datetime | None = None, force: bool = False) -> bool:
    """Enqueue a drain (at ``at``, else now); False (and a log line) when that failed.

    Unless ``force`` or ``at``, a wake within :data:`WAKE_EVERY` seconds of this process's
    last one is skipped (True): the worker it woke is still looking.
    """
    task = drain_webhook_events
    if task is None:
        logger.error("Webhook events stay received: no tasks framework is installed (recur.E010).")
        return False
    try:
        backend = task.get_backend()
        lingers = _lingers(backend)
        now = time.monotonic()
        if at is not None:
            if not backend.supports_defer:
                logger.error(
                    "A webhook event failed; the task backend cannot delay its retry, so the "
                    "next wake or recur_replay --stale applies it."
                )
                return False
            task.using(run_after=at).enqueue(None)
            return True
        with _wake_lock:
            previous = _last_wake[0]
            if lingers and not force and now - previous < WAKE_EVERY:
                return True
            if lingers:
                _last_wake[0] = now
        # Outside the lock: an in-process backend runs the drain right here.
        try:
            task.enqueue(time.time() + WAKE_EVERY + CLOCK_MARGIN if lingers else None)
        except Exception:
            _last_wake[0] = previous  # the next event tries again
            raise
    except Exception as exc:
        logger.error(
            "Webhook events stay received: the worker could not be woken (%s: %s); "
            "the next event or recur_replay --stale wakes it.",
            type(exc).__name__,
            exc,
        )
        return False
    return True


def wake_on_commit() -> None:
    """Wake the workers once the stored event is committed (at once in autocommit)."""
    transaction.on_commit(wake)


def store_for_task(body: bytes, headers: Mapping[str, str], envelope: Mapping[str, Any]) -> Outcome:
    """Store a verified event as RECEIVED (one row) and wake the workers after its commit."""
    outcome = dispatch.store(body, headers, envelope)
    if outcome.status == WebhookEvent.Status.RECEIVED:
        wake_on_commit()
    return outcome


def stale_events(older_than: float | None = None) -> list[str]:
    """Ids of events RECEIVED longer than ``older_than`` seconds ago (default: the setting)."""
    seconds = recur_settings.WEBHOOK_STALE_AFTER if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=float(seconds))
    stale = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.RECEIVED, received_at__lte=cutoff
    )
    return list(stale.order_by("received_at").values_list("event_id", flat=True))
