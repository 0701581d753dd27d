"""Signal receivers: the shop reacts to payments here, not in views.

``transaction_completed`` is sent exactly once per paid transaction, after the database
commit, whether the webhook or the return page saw the payment first.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from example_project.shop.catalog import credits_for
from example_project.shop.models import CreditEntry
from recur_django.models import Transaction
from recur_django.signals import transaction_completed

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
