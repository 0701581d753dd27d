"""Signal receivers: the shop reacts to payments here, not in views.

``transaction_completed`` is sent exactly once per paid transaction, after the database
commit, whether the webhook or the return page saw the payment first: credit packs.
``payment_succeeded`` is sent once per paid charge (the first payment and every renewal):
a credits subscription grants its credits on each.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from example_project.shop.catalog import credits_for, subscription_credits_for
from example_project.shop.models import CreditEntry
from recur_django.models import Payment, Transaction
from recur_django.signals import payment_succeeded, transaction_completed

logger = logging.getLogger(__name__)


@receiver(transaction_completed)
def add_purchased_credits(sender: Any, transaction: Transaction, **kwargs: Any) -> None:
    """Credit the buyer of a credit pack; other products need nothing here."""
    credits = credits_for(transaction.product_id, transaction.product_slug)
    if not credits or transaction.user_id is None:
        return
    # Keyed on the transaction: running twice can never credit twice.
    _entry, created = CreditEntry.objects.get_or_create(
        transaction=transaction,
        defaults={
            "user_id": transaction.user_id,
            "amount": credits,
            "note": transaction.product_name or transaction.product_slug or transaction.product_id,
        },
    )
    if created:
        logger.info("Added %d credits for %s", credits, transaction.public_id)


@receiver(payment_succeeded)
def add_subscription_credits(sender: Any, payment: Payment, **kwargs: Any) -> None:
    """Credit a credits subscriber on every paid charge, exactly once per payment."""
    sub = payment.subscription
    product_id = (sub.product_id if sub else "") or payment.product_id
    credits = subscription_credits_for(product_id, sub.product_slug if sub else "")
    customer = payment.customer or (sub.customer if sub else None)
    user_id = payment.owner_id or (customer.owner_id if customer else None)
    if not credits or user_id is None:
        return
    # Keyed on the payment: a repeated signal or a replayed event never credits twice.
    _entry, created = CreditEntry.objects.get_or_create(
        payment=payment,
        defaults={
            "user_id": user_id,
            "amount": credits,
            "note": (sub.product_name if sub else "") or payment.recur_id,
        },
    )
    if created:
        logger.info("Added %d subscription credits for payment %s", credits, payment.recur_id)
