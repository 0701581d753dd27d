"""The one step of webhook processing that may call Recur, outside any transaction.

A handler runs inside the database transaction that stores its event, and no network call
may happen there. When a handler cannot trust an event on its own — today only when a
``checkout.completed`` (or ``order.paid``) would complete a transaction but does not say
what was paid, or does not name the checkout session we stored — it raises
:class:`ConfirmationNeeded`. :func:`confirming` then lets the transaction roll back, calls
:meth:`ConfirmationNeeded.confirm` with no transaction open (one retrieve of the checkout
session), and runs the delivery once more; the handler reads the answer with
:func:`confirmation`. When ``confirm`` raises (Recur unreachable), the answer is that
exception and the handler fails the event as retryable: the webhook answers 500 so Recur
retries, and ``recur_replay`` can apply it later.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import transaction

from recur_django.exceptions import ConfirmationNeeded, ConfirmationUnavailable

T = TypeVar("T")

_answer: ContextVar[Any] = ContextVar("recur_confirmation", default=None)


def confirmation() -> Any:
    """Recur's answer for the delivery being re-run, an exception if asking failed, or None."""
    return _answer.get()


def confirming(run: Callable[[], T]) -> T:
    """Run one delivery; when its handler raises :class:`ConfirmationNeeded`, ask Recur with
    no transaction open and run it once more with the answer available."""
    try:
        return run()
    except ConfirmationNeeded as needed:
        answer: Any
        if not transaction.get_autocommit():
            # The caller holds a transaction (ATOMIC_REQUESTS, an admin action): never call
            # out from inside it. The event fails as retryable and is replayed later.
            answer = ConfirmationUnavailable("a database transaction is open")
        else:
            try:
                answer = needed.confirm()
            except Exception as exc:
                answer = ConfirmationUnavailable(f"{type(exc).__name__}: {exc}")
    token = _answer.set(answer)
    try:
        return run()
    finally:
        _answer.reset(token)
