"""Whether a payment Recur reports can complete one of our transactions, and for how much.

A webhook is signed by Recur, but what it says about a checkout can still come from a
checkout an attacker started in the browser with the public ``pk_`` key. A payment
completes a transaction only when it names the checkout session our server created with
the secret key and stored on the transaction, and says what was paid. When the event does
not (no amount, ``null``, or a checkout id that is not the stored session id), Recur is
asked: :class:`PaymentUnconfirmed` makes the webhook pipeline retrieve the stored session
outside the database transaction; :func:`foreign` says whether the answer shows the
payment is someone else's, :func:`refusal` whether it confirms the expected amount.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from recur_django.client_factory import get_client
from recur_django.exceptions import ConfirmationNeeded
from recur_django.payloads import CheckoutData
from recur_django.payloads.amounts import parse_amount, parse_discount

if TYPE_CHECKING:
    from recur_django.models import Transaction

#: Checkout statuses (any casing) that mean Recur took the payment.
PAID_STATUSES = frozenset({"complete", "completed", "paid", "succeeded"})


def proven(txn: Transaction, data: CheckoutData, amount: int | None) -> bool:
    """Whether ``data`` alone may complete ``txn``: it names the stored session and says
    what was paid (or ``txn`` expects no particular amount)."""
    stored = txn.checkout_session_id or ""
    names_our_session = bool(stored) and data.session_id == stored
    return names_our_session and (amount is not None or txn.amount is None)


class PaymentUnconfirmed(ConfirmationNeeded):
    """The event does not prove the payment; Recur must confirm the stored session."""

    kind = "checkout_session"

    def __init__(self, session_id: str) -> None:
        super().__init__(f"checkout session {session_id} needs confirmation from Recur")
        self.session_id = session_id

    def confirm(self) -> CheckoutData:
        """Retrieve the stored checkout session (the only Recur call a webhook makes)."""
        return CheckoutData.from_session(get_client().checkout_sessions.retrieve(self.session_id))


def foreign(txn: Transaction, data: CheckoutData, confirmed: CheckoutData) -> str | None:
    """Why Recur's own view of the stored session says the payment is not ``txn``'s (the
    session is not paid, is another transaction's, or was paid by another customer or
    order than the event names), or None."""
    stored = txn.checkout_session_id or ""
    if confirmed.session_id != stored:
        return f"Recur answered for session {confirmed.session_id!r}, not {stored}."
    if confirmed.status.strip().lower() not in PAID_STATUSES:
        return f"Recur reports checkout session {stored} as {confirmed.status or 'unpaid'!r}."
    if confirmed.transaction_id and confirmed.transaction_id != txn.public_id:
        return f"Recur's session {stored} belongs to {confirmed.transaction_id}."
    if data.customer_id and confirmed.customer_id and data.customer_id != confirmed.customer_id:
        return f"the event's customer is not the one that paid session {stored}."
    if data.order_id and confirmed.order_id and data.order_id != confirmed.order_id:
        return f"the event's order {data.order_id} is not the one that paid session {stored}."
    return None


def refusal(txn: Transaction, data: CheckoutData, confirmed: CheckoutData) -> str | None:
    """Why Recur's answer for the stored session does not confirm the amount ``txn``
    expects, or None (call after :func:`foreign` found nothing)."""
    stored = txn.checkout_session_id or ""
    if txn.amount is None:
        return None
    try:
        amount = parse_amount(confirmed.amount)
        discount = parse_discount(confirmed.discount_amount)
    except ValueError as exc:
        return f"Recur's session {stored}: {exc}"
    if amount is None:
        return f"Recur reports no amount for session {stored}."
    if amount + discount != txn.amount:
        off = f" after a discount of {discount}" if discount else ""
        return (
            f"Recur reports {amount} {confirmed.currency or txn.currency} paid{off} for session "
            f"{stored}, not the expected {txn.amount} {txn.currency} of {txn.public_id}."
        )
    return None
