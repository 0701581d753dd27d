"""Signals sent by recur_django, and the one sender every one of them goes through.

- ``webhook_received(sender, event)``: a verified delivery was stored (``event`` is a
  :class:`~recur_django.models.WebhookEvent`).
- ``transaction_completed(sender, transaction, owner, user, event, source)``: a payment
  was fulfilled, exactly once per transaction; ``event`` is the WebhookEvent or ``None``
  (return page); ``source`` is ``"webhook"``, ``"return_page"`` or what a direct
  ``fulfil()`` call passed.
- ``transaction_failed(sender, transaction, owner, user, reason, event, source)``: a
  checkout failed, was canceled or expired (``transaction.status`` says which);
  ``source`` is ``"webhook"``, ``"return_page"``, ``"checkout"`` (the API refused to start
  it) or ``"expire"`` (``recur_expire``). A failed transaction can still complete later
  if the buyer retries on the same hosted page.
- ``subscription_changed(sender, subscription, owner, user, previous_status, event)``: the
  local mirror of a subscription changed.
- ``payment_succeeded(sender, payment, owner, user, event)``: a charge was paid (first
  purchase, renewal, trial verification, payment-link sale…), once per
  :class:`~recur_django.models.Payment`.
- ``payment_failed(sender, payment, owner, user, reason, event)``: a charge was declined,
  once per payment (also when its retry's success was delivered first:
  ``payment.status`` is then ``paid``).
- ``payment_refunded(sender, payment, owner, user, amount, event, refund)``: money went
  back, once per Recur refund; ``amount`` is this refund's (integer TWD), ``refund`` the
  :class:`~recur_django.models.Refund` (``None`` for a total Recur reported without a
  refund event).
- ``subscription_renewed(sender, subscription, payment, owner, user, event)``: a renewal
  charge was paid, once per renewal payment.
- ``trial_will_end(sender, subscription, owner, user, event)``: Recur announced the end of
  the trial, once per subscription.
- ``credits_purchased(sender, credit_transaction, owner, user, event)``: a paid credit pack added
  credits, once per :class:`~recur_django.models.CreditTransaction`.
- ``credits_deducted(sender, credit_transaction, owner, user, event)``: credits were spent, once per
  deduction (whether :func:`recur_django.credits.deduct`'s answer or the
  ``credits.deducted`` event recorded it first; ``event`` is None for the answer).
- ``einvoice_issued(sender, einvoice, payment, owner)``: a payment's uniform invoice was
  issued (``einvoice.number`` is set), once per :class:`~recur_django.models.EInvoice`.
- ``einvoice_voided(sender, einvoice, payment, owner, reason)``: an issued invoice was
  voided (a full refund before the filing cut-off, or the admin), once per invoice.
- ``einvoice_allowance_issued(sender, allowance, einvoice, payment, owner)``: an allowance
  was issued (a partial or late refund), once per
  :class:`~recur_django.models.EInvoiceAllowance`.
- ``einvoice_failed(sender, einvoice, allowance, payment, owner, error)``: issuing an
  invoice (``allowance`` None) or an allowance gave up after its retries; ``error`` is
  the provider's message. Sent each time a row becomes ``failed``.

``owner`` is whose billing it is (:mod:`recur_django.owners`: the transaction's or
payment's owner, else the owner of the subscription's or credit movement's customer;
``None`` when nobody is linked). ``user`` is who acted: the user who started the checkout;
where nobody acted (renewals, subscription changes, trial endings, credit movements) the
owner when owners are users, else ``None``.

Every signal is sent by :func:`send_after_commit`: receivers run only once the change
they describe is committed, and a receiver that raises is logged and skipped, so it can
never roll back (un-fulfil) a payment or turn a committed webhook delivery into a 500.
Inside :func:`suppressed` nothing is sent (``recur_replay --no-signals``: rebuilding
state from stored events without announcing it again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("recur_django.signals")

webhook_received = Signal()
transaction_completed = Signal()
transaction_failed = Signal()
subscription_changed = Signal()
payment_succeeded = Signal()
payment_failed = Signal()
payment_refunded = Signal()
subscription_renewed = Signal()
trial_will_end = Signal()
credits_purchased = Signal()
credits_deducted = Signal()
einvoice_issued = Signal()
einvoice_voided = Signal()
einvoice_allowance_issued = Signal()
einvoice_failed = Signal()


_suppressed: ContextVar[bool] = ContextVar("recur_django_signals_suppressed", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    """Within this block (this thread or task), :func:`send_after_commit` sends nothing."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def send_after_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (right away outside one).

    Every receiver runs (``send_robust``); one that raises is logged on the
    ``recur_django.signals`` logger with its traceback and the next receiver still runs.
    Inside :func:`suppressed` the signal is dropped (logged at DEBUG).
    """
    if _suppressed.get():
        logger.debug("Signal not sent (suppressed): %r from %r.", signal, sender)
        return

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "Signal receiver %s raised %s; the change it was told about stands.",
                    getattr(receiver, "__qualname__", repr(receiver)),
                    type(result).__name__,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)
