"""Handlers for ``checkout.completed``, ``order.paid`` and ``order.payment_failed``.

They find the transaction by ``metadata.transaction_id``, else by checkout session id —
never by email, customer or product — and hand it to :func:`recur_django.checkout.fulfil`
or :func:`~recur_django.checkout.mark_failed`, which lock it and apply the change once.
A payment that does not name the stored session or says no amount is confirmed with Recur
first (:mod:`recur_django.webhooks.confirmation`); its answer is passed as ``confirmed``.
Each then records the charge in the ledger (:func:`~recur_django.webhooks.handlers.payments.
with_ledger`), also when the event matches no local transaction (a renewal or a
payment-link sale).
"""

from __future__ import annotations

from recur_django.checkout import PaymentUnconfirmed, fulfil, mark_failed
from recur_django.exceptions import EventIgnored, EventRejected
from recur_django.models import Transaction
from recur_django.payloads import CheckoutData, Outcome
from recur_django.webhooks.confirmation import confirmation
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.handlers.payments import with_ledger
from recur_django.webhooks.registry import handles


def _confirmed() -> CheckoutData | Exception | None:
    """Recur's view of the stored checkout session, when this delivery asked for it."""
    answer = confirmation(PaymentUnconfirmed.kind)
    return answer if isinstance(answer, CheckoutData | Exception) else None


@handles("checkout.completed")
def checkout_completed(event: RecurEvent) -> None:
    """Fulfil (or fail, for a failed/canceled/expired status) the checkout's transaction,
    then record its charge in the ledger."""
    with_ledger(event, _checkout)


def _checkout(recur_event: RecurEvent) -> None:
    event, info = recur_event.stored, CheckoutData.from_checkout(recur_event.data)
    if not info.transaction_id and not info.session_id:
        raise EventRejected("checkout.completed carries neither metadata.transaction_id nor an id.")
    outcome = info.outcome
    try:
        if outcome is Outcome.SUCCEEDED:
            fulfil(session_data=info, event=event, source="webhook", confirmed=_confirmed())
        elif outcome is Outcome.UNKNOWN:
            raise EventRejected(f"checkout.completed has an unrecognised status {info.status!r}.")
        else:
            reason = info.failure_reason or f"checkout {info.status.lower()}"
            mark_failed(reason=reason, outcome=outcome, session_data=info, event=event)
    except Transaction.DoesNotExist:
        if info.transaction_id:
            raise EventRejected(f"unknown transaction {info.transaction_id}.") from None
        # Not started by this site (a payment link, another integration): nothing to do.
        raise EventIgnored(f"no transaction for checkout session {info.session_id}") from None


def _order(recur_event: RecurEvent, *, paid: bool) -> None:
    event, info = recur_event.stored, CheckoutData.from_order(recur_event.data)
    if not info.transaction_id and not info.session_id:
        raise EventIgnored("order does not reference a checkout")
    try:
        if paid:
            fulfil(session_data=info, event=event, source="webhook", confirmed=_confirmed())
        else:
            reason = info.failure_reason or "payment failed"
            mark_failed(reason=reason, outcome=Outcome.FAILED, session_data=info, event=event)
    except Transaction.DoesNotExist:
        # Renewals and payment-link orders have no local transaction.
        raise EventIgnored("no matching transaction") from None


@handles("order.paid")
def order_paid(event: RecurEvent) -> None:
    """Fulfil the transaction the order belongs to, when it can be matched; record the
    charge in the ledger (first purchase, renewal or payment-link sale)."""
    with_ledger(event, lambda e: _order(e, paid=True))


@handles("order.payment_failed")
def order_payment_failed(event: RecurEvent) -> None:
    """Fail the pending transaction the order belongs to, when it can be matched; record
    the failed charge in the ledger."""
    with_ledger(event, lambda e: _order(e, paid=False))
