"""What the ledger records without applying: rows flagged for review, and conflicts.

Money attaches only where our evidence says. What contradicts it is never applied:

- a charge that **claims one of our transactions** (``metadata.transaction_id``) without
  naming the checkout session we stored on it (or the order Recur reported for that
  session) is recorded as an unattached charge of its own customer, flagged
  (``Payment.review_reason``): no receipt goes to the transaction's owner, and refunding
  it revokes nothing of theirs;
- an event naming **another customer** than the one we hold for its charge (an invoice id
  reused for someone else) or for its subscription raises :class:`CustomerConflict`: the
  event is stored failed with the reason and nothing of it is applied;
- a **refund** in another currency than its payment, or of another customer, is kept as
  a flagged ``Refund`` (``review_reason``) that counts nothing and sends nothing (it may
  arrive before its payment, so the conflict is decided on the row, whatever the order).

``review_reason`` only ever grows (reasons are appended, never cleared by an event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recur_django.exceptions import CustomerConflict
from recur_django.ledger.facts import ChargeFacts, read_refund

if TYPE_CHECKING:
    from recur_django.models import Customer, Payment, Refund, Subscription

#: The longest ``review_reason`` kept (later reasons beyond it are dropped).
MAX_REASON = 2000


def flag(row: Payment | Refund, reason: str) -> bool:
    """Add ``reason`` to ``row.review_reason`` (unsaved); False when it was there already."""
    if not reason or reason in row.review_reason:
        return False
    combined = f"{row.review_reason} {reason}".strip()
    row.review_reason = combined if len(combined) <= MAX_REASON else row.review_reason
    return True


def _recur_id(customer: Customer | None) -> str:
    return customer.recur_id if customer is not None else ""


def check_charge(
    facts: ChargeFacts,
    payment: Payment | None,
    customer: Customer | None,
    subscription: Subscription | None,
) -> None:
    """Raise :class:`CustomerConflict` when the event's ``customer`` (the row its
    ``customer_id`` names) is not the customer of the charge's row or of the subscription,
    or its ``subscription`` is not the row's. Compares keys only: no query when all agree.
    """
    if (
        payment is not None
        and customer is not None
        and payment.customer_id not in (None, customer.pk)
    ):
        raise CustomerConflict(
            f"{facts.key} is recorded for customer {_recur_id(payment.customer)}; this "
            f"event names {customer.recur_id}. Nothing was applied."
        )
    recorded = payment.subscription_id if payment is not None else None
    if subscription is not None and recorded is not None and recorded != subscription.pk:
        raise CustomerConflict(
            f"{facts.key} is recorded for another subscription than {subscription.recur_id}, "
            "which this event names. Nothing was applied."
        )
    held_by = subscription.customer_id if subscription is not None else None
    if subscription is not None and customer is not None and held_by not in (None, customer.pk):
        raise CustomerConflict(
            f"Subscription {subscription.recur_id} belongs to customer "
            f"{_recur_id(subscription.customer)}; this event names {customer.recur_id}. "
            "Nothing was applied."
        )


def refund_conflict(refund: Refund, payment: Payment) -> str:
    """Why ``refund`` must not apply to ``payment`` ("" when it may)."""
    currency = (refund.currency or "TWD").upper()
    if currency != (payment.currency or "TWD").upper():
        return (
            f"Refund {refund.recur_id} is in {currency}, its payment {payment.recur_id} in "
            f"{payment.currency or 'TWD'}: not applied."
        )
    named = read_refund("refund.created", refund.raw or {}).customer_id
    held = _recur_id(payment.customer)
    if named and held and named != held:
        return (
            f"Refund {refund.recur_id} names customer {named}, its payment "
            f"{payment.recur_id} belongs to {held}: not applied."
        )
    return ""
