"""How the e-invoice work runs: tasks on Django's tasks framework, else in-process.

Issuing an invoice or an allowance calls the provider, so it never runs inside the
database transaction that recorded the payment or the refund: it is enqueued once that
transaction commits (:func:`enqueue_on_commit`). With a tasks framework
(:mod:`recur_django.tasks`) a worker runs it (the immediate backend at once, in the same
process); without one the work runs in-process right after the commit. A failed enqueue
leaves the row pending for ``manage.py recur_einvoice retry``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from recur_django import signals, tasks
from recur_django.owners import payment_owner

logger = logging.getLogger("recur_django.einvoice")


def define(func: Callable[[int], Any], name: str) -> Any:
    """``func`` as a task bound to the module attribute ``name`` (a worker imports it by
    its module and qualified name), or None when no tasks framework is usable."""
    if not tasks.available():
        return None
    func.__name__ = func.__qualname__ = name
    try:
        return tasks.task()(func)
    except Exception as exc:  # the default backend cannot be loaded or refuses the task
        logger.error(
            "The e-invoice task %s cannot be defined: %s: %s", name, type(exc).__name__, exc
        )
        return None


def enqueue(task: Any, run: Callable[[int], Any], row_id: int, what: str) -> bool:
    """Run ``task`` for ``row_id`` (in-process through ``run`` when there is no task);
    False (and a log line) when the enqueue failed: the row waits for the retry command."""
    if task is None:
        try:
            run(row_id)
        except Exception:  # the row records its own failures; this is a bug or the database
            logger.exception("E-invoice: %s %s could not run; it waits for a retry.", what, row_id)
            return False
        return True
    try:
        task.enqueue(row_id)
    except Exception as exc:
        logger.error(
            "E-invoice: %s %s could not be enqueued (%s: %s); recur_einvoice retry will "
            "re-drive it.",
            what,
            row_id,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def enqueue_on_commit(task: Any, run: Callable[[int], Any], row_id: int, what: str) -> None:
    """:func:`enqueue` once the current transaction commits (at once in autocommit)."""
    transaction.on_commit(lambda: enqueue(task, run, row_id, what))


def enqueue_later(task: Any, row_id: int, when: datetime, what: str) -> bool:
    """Enqueue ``task`` to run at ``when`` when its backend can defer; False otherwise
    (the row's ``next_attempt_at`` then waits for ``recur_einvoice retry``)."""
    if task is None:
        return False
    try:
        if not task.get_backend().supports_defer:
            return False
        task.using(run_after=when).enqueue(row_id)
    except Exception as exc:
        logger.error("E-invoice: the retry of %s %s could not be enqueued (%s).", what, row_id, exc)
        return False
    return True


#: Attempts of an invoice or allowance before it is left ``failed`` (for a person, the
#: admin's retry action or ``recur_einvoice retry``).
MAX_ATTEMPTS = 6
#: The wait after the first failed attempt; each next one twice as long, up to MAX_BACKOFF.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
#: How long a claimed row is left alone by other workers while its provider call runs
#: (longer than any backend timeout); a worker that dies leaves it due again after this.
LEASE = timedelta(minutes=5)


def backoff(attempt: int) -> timedelta:
    """The wait before the next attempt after the ``attempt``-th failed one."""
    return min(FIRST_BACKOFF * 2 ** max(attempt - 1, 0), MAX_BACKOFF)


def fail_attempt(row: Any, message: str, *, final: bool, einvoice: Any, allowance: Any) -> None:
    """A failed attempt on a locked, pending ``row`` (``einvoice`` itself, or ``allowance``
    of it), not saved: its ``last_error``; after the last attempt, or a ``final``
    refusal, ``failed`` and ``einvoice_failed``; else the next attempt after the backoff."""
    row.last_error = message[:2000]
    if final or row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        row.next_attempt_at = None
        signals.send_after_commit(
            signals.einvoice_failed,
            sender=type(row),
            einvoice=einvoice,
            allowance=allowance,
            payment=einvoice.payment,
            owner=payment_owner(einvoice.payment),
            error=row.last_error,
        )
    else:
        row.next_attempt_at = timezone.now() + backoff(row.attempts)
