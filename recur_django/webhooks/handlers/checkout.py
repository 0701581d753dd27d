"""Handlers for ``checkout.completed``, ``order.paid`` and ``order.payment_failed``.

They find the transaction by ``metadata.transaction_id``, else by checkout session id —
never by email, customer or product — and hand it to :func:`recur_django.checkout.fulfil`
or :func:`~recur_django.checkout.mark_failed`, which lock it and apply the change once.
A payment that does not name the stored session or says no amount is confirmed with Recur
first (:mod:`recur_django.webhooks.confirmation`); its answer is passed as ``confirmed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recur_django.checkout import fulfil, mark_failed
from recur_django.models import Transaction, WebhookEvent
from recur_django.payloads import CheckoutData, Outcome
from recur_django.webhooks.confirmation import confirmation
from recur_django.webhooks.handlers.payments import locked, record
from recur_django.webhooks.registry import EventRejected, handles


def _ignore(event: WebhookEvent, reason: str) -> None:
    event.status = WebhookEvent.Status.IGNORED
    event.error = reason


@handles("checkout.completed")
def checkout_completed(event: WebhookEvent, data: Mapping[str, Any]) -> None:
    """Fulfil (or fail, for a failed/canceled/expired status) the checkout's transaction,
    then record its charge in the ledger."""
    with locked(event, data):
        _checkout(event, data)
        record(event, data)


def _checkout(event: WebhookEvent, data: Mapping[str, Any]) -> None:
    info = CheckoutData.from_checkout(data)
    if not info.transaction_id and not info.session_id:
        raise EventRejected("checkout.completed carries neither metadata.transaction_id nor an id.")
    outcome = info.outcome
    try:
        if outcome is Outcome.SUCCEEDED:
            fulfil(session_data=info, event=event, source="webhook", confirmed=confirmation())
        elif outcome is Outcome.UNKNOWN:
            raise EventRejected(f"checkout.completed has an unrecognised status {info.status!r}.")
        else:
            reason = info.failure_reason or f"checkout {info.status.lower()}"
            mark_failed(reason=reason, outcome=outcome, session_data=info, event=event)
    except Transaction.DoesNotExist:
        if info.transaction_id:
            raise EventRejected(f"unknown transaction {info.transaction_id}.") from None
        # Not started by this site (a payment link, another integration): nothing to do.
        _ignore(event, f"no transaction for checkout session {info.session_id}")


def _order(event: WebhookEvent, data: Mapping[str, Any], *, paid: bool) -> None:
    info = CheckoutData.from_order(data)
    if not info.transaction_id and not info.session_id:
        _ignore(event, "order does not reference a checkout")
        return
    try:
        if paid:
            fulfil(session_data=info, event=event, source="webhook", confirmed=confirmation())
        else:
            reason = info.failure_reason or "payment failed"
            mark_failed(reason=reason, outcome=Outcome.FAILED, session_data=info, event=event)
    except Transaction.DoesNotExist:
        # Renewals and payment-link orders have no local transaction.
        _ignore(event, "no matching transaction")


@handles("order.paid")
def order_paid(event: WebhookEvent, data: Mapping[str, Any]) -> None:
    """Fulfil the transaction the order belongs to, when it can be matched; record the
    charge in the ledger (first purchase, renewal or payment-link sale)."""
    with locked(event, data):
        _order(event, data, paid=True)
        record(event, data)


@handles("order.payment_failed")
def order_payment_failed(event: WebhookEvent, data: Mapping[str, Any]) -> None:
    """Fail the pending transaction the order belongs to, when it can be matched; record
    the failed charge in the ledger."""
    with locked(event, data):
        _order(event, data, paid=False)
        record(event, data)
