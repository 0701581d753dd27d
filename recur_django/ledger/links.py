"""What a charge points to: its customer, subscription, first-purchase transaction and
payment link, resolved before the charge's lock is taken and filled in, never moved.

Only our evidence attaches a charge to one of our transactions (see
:func:`_find_transaction`); a payment's owner (and the user who acted) comes from that
transaction, else from a customer mapping we already hold — never from an e-mail or an id
an event carries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from recur_django.ledger.facts import ChargeFacts
from recur_django.models import Customer, Payment, PaymentLink, Subscription, Transaction
from recur_django.owners import owner_is_user_model

# Charges that are never a checkout's first payment, even when they echo its metadata.
LATER_CHARGES = frozenset({"subscription_cycle", "subscription_update"})


def _find_transaction(facts: ChargeFacts) -> tuple[Transaction | None, str]:
    """The checkout this charge paid, and why the charge is flagged ("" when it is not).

    Only our evidence attaches a charge: the checkout session we stored on the transaction
    (``checkout_session_id``), else the order Recur reported when that session completed
    (``order_id``, recorded by fulfilment). ``metadata.transaction_id`` is only a claim —
    anyone can start a checkout with the public key — so a charge that makes it without
    that evidence is not attached to the transaction it names, and is flagged.
    """
    if facts.billing_reason in LATER_CHARGES:
        return None, ""
    txn: Transaction | None = None
    # With its owner and user, for the payment's signals (no query of their own).
    found = Transaction.objects.select_related("owner", "user").only(
        "pk", "public_id", "owner", "user"
    )
    if facts.session_id:
        txn = found.filter(checkout_session_id=facts.session_id).first()
    if txn is None and facts.order_id:
        txn = found.filter(order_id=facts.order_id).first()
    claimed = facts.transaction_id
    if not claimed or (txn is not None and txn.public_id == claimed):
        return txn, ""
    paid = f"the checkout of {txn.public_id}" if txn else "no checkout this site started"
    return txn, (
        f"Names {claimed} in its metadata, but its checkout session and order are those of "
        f"{paid}: not attached to {claimed}."
    )


@dataclass(frozen=True)
class Links:
    """The rows a charge points to, resolved before the charge's lock is taken, and why
    the charge is flagged ("" when it is not)."""

    customer: Customer | None = None
    subscription: Subscription | None = None
    transaction: Transaction | None = None
    payment_link: PaymentLink | None = None
    review: str = ""


#: The subscription row this delivery already read (the mirror's, locked), by recur id.
_known: ContextVar[Subscription | None] = ContextVar("recur_ledger_known", default=None)


@contextmanager
def knowing(subscription: Subscription | None) -> Iterator[None]:
    """Let :func:`resolve` use ``subscription`` (read in this transaction, with its customer
    and owner) instead of reading it again."""
    token = _known.set(subscription)
    try:
        yield
    finally:
        _known.reset(token)


def _same(row: Any, recur_id: str) -> Any:
    return row if row is not None and recur_id and row.recur_id == recur_id else None


def resolve(facts: ChargeFacts, payment: Payment | None = None) -> Links:
    """Find (or create, unlinked) the customer and subscription; find the transaction and
    payment link. Rows already in hand (the charge's ``payment`` with its customer and
    subscription, the subscription the mirror read) are not read again."""
    customer = subscription = None
    if facts.subscription_id:
        subscription = _same(payment and payment.subscription, facts.subscription_id) or _same(
            _known.get(), facts.subscription_id
        )
        if subscription is None:
            subscription, _ = Subscription.objects.select_related("customer__owner").get_or_create(
                recur_id=facts.subscription_id
            )
    if facts.customer_id:
        customer = _same(payment and payment.customer, facts.customer_id) or _same(
            subscription and subscription.customer, facts.customer_id
        )
        if customer is None:
            customer, _ = Customer.objects.select_related("owner").get_or_create(
                recur_id=facts.customer_id,
                defaults={"email": facts.customer_email, "name": facts.customer_name},
            )
    payment_link = None
    if facts.payment_link_id and (payment is None or payment.payment_link_id is None):
        payment_link = PaymentLink.objects.filter(recur_id=facts.payment_link_id).first()
    txn, review = _find_transaction(facts)
    return Links(customer, subscription, txn, payment_link, review)


def link(payment: Payment, links: Links) -> None:
    """Fill the customer, subscription, transaction, payment link, owner and user (never
    moved).

    The owner is the transaction's, else the customer's (only a mapping we already hold:
    never an owner found by email or external id). The user is who started the
    transaction; without one, the owner when owners are users (a renewal: the user who
    pays it).
    """
    if links.customer is not None and payment.customer_id is None:
        payment.customer = links.customer
    if links.subscription is not None and payment.subscription_id is None:
        payment.subscription = links.subscription
    txn = links.transaction
    if txn is not None and payment.transaction_id is None:
        payment.transaction = txn
        if payment.owner_id is None and txn.owner_id is not None:
            payment.owner = txn.owner
        if payment.user_id is None and txn.user_id is not None:
            payment.user = txn.user
    if links.payment_link is not None and payment.payment_link_id is None:
        payment.payment_link = links.payment_link
    customer = payment.customer if payment.owner_id is None and payment.customer_id else None
    if customer is not None and customer.owner_id is not None:
        payment.owner = customer.owner
    if payment.user_id is None and payment.owner_id is not None and owner_is_user_model():
        payment.user = payment.owner
