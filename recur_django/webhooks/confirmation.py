"""The one step of webhook processing that may call Recur, outside any transaction.

A handler runs inside the database transaction that stores its event, and no network call
may happen there. When a handler cannot trust an event on its own it raises
:class:`ConfirmationNeeded` naming what it needs (its ``kind``):

- ``"checkout_session"`` (:class:`~recur_django.checkout.proof.PaymentUnconfirmed`): a
  ``checkout.completed`` (or ``order.paid``) would complete a transaction but does not say
  what was paid, or does not name the checkout session we stored — one retrieve of that
  session;
- ``"charge"`` (:class:`~recur_django.ledger.amounts.ChargeUnconfirmed`): a paid charge
  whose event sent no amount, or two events of one charge that disagree on its amount or
  currency — one retrieve of the invoice or order.

:func:`confirming` then lets the transaction roll back, calls
:meth:`ConfirmationNeeded.confirm` with no transaction open, and runs the delivery once
more; the handler reads the answer with :func:`confirmation`. A delivery may need both
kinds (a first purchase whose event says no amount): each kind is asked at most once per
delivery, so a delivery runs at most three times. When ``confirm`` raises (Recur
unreachable), the answer is that exception and the handler fails the event as retryable:
the webhook answers 500 so Recur retries, and ``recur_replay`` can apply it later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, TypeVar

from django.db import transaction

from recur_django.exceptions import ConfirmationNeeded, ConfirmationUnavailable

T = TypeVar("T")

_NOTHING: Mapping[str, Any] = MappingProxyType({})
_answers: ContextVar[Mapping[str, Any]] = ContextVar("recur_confirmation", default=_NOTHING)

#: At most this many confirmations per delivery (one per kind; there are two kinds).
MAX_CONFIRMATIONS = 4


def confirmation(kind: str) -> Any:
    """Recur's answer of ``kind`` for the delivery being re-run, an exception if asking
    failed, or None (not asked yet)."""
    return _answers.get().get(kind)


def _ask(needed: ConfirmationNeeded) -> Any:
    if not transaction.get_autocommit():
        # The caller holds a transaction (ATOMIC_REQUESTS, an admin action): never call
        # out from inside it. The event fails as retryable and is replayed later.
        return ConfirmationUnavailable("a database transaction is open")
    try:
        return needed.confirm()
    except Exception as exc:
        return ConfirmationUnavailable(f"{type(exc).__name__}: {exc}")


def confirming(run: Callable[[], T]) -> T:
    """Run one delivery; each time its handler raises :class:`ConfirmationNeeded` for a
    kind not asked yet, ask Recur with no transaction open and run it once more with every
    answer so far available."""
    answers: dict[str, Any] = {}
    while True:
        token = _answers.set(MappingProxyType(dict(answers)))
        try:
            return run()
        except ConfirmationNeeded as needed:
            if needed.kind in answers or len(answers) >= MAX_CONFIRMATIONS:
                raise  # cannot happen through dispatch, which fails a second ask itself
            answers[needed.kind] = _ask(needed)
        finally:
            _answers.reset(token)
