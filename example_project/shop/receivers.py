"""Signal receivers: the shop reacts to payments here, not in views.

Credits are Recur's: a paid credit pack adds them on Recur (``credits.purchased``), and
recur-django records every movement. The shop only decides what a refund means: it takes
the refunded share of the pack's credits back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from recur_django import credits
from recur_django.client.errors import RecurError
from recur_django.models import CreditTransaction, Payment, Refund
from recur_django.signals import payment_refunded

logger = logging.getLogger(__name__)


@receiver(payment_refunded)
def take_back_refunded_credits(
    sender: Any, payment: Payment, amount: int, refund: Refund | None = None, **kwargs: Any
) -> None:
    """A refunded credit pack takes back its share of the credits (what is left of them).

    Runs after commit, outside any transaction, so it may call Recur. The refund's id is the
    idempotency key: a replayed refund never takes the credits twice.
    """
    purchase = CreditTransaction.objects.filter(
        kind=CreditTransaction.Kind.PURCHASE, order_id=payment.order_id or "-"
    ).first()
    user = payment.owner or (payment.customer.owner if payment.customer else None)
    if purchase is None or user is None or not payment.amount:
        return
    share = min(purchase.amount, round(purchase.amount * amount / payment.amount))
    key = f"refund-{refund.recur_id if refund else payment.recur_id}-{payment.refunded_amount}"
    try:
        share = min(share, credits.balance(user))  # credits already spent stay spent
        if share > 0:
            credits.deduct(user, share, f"Refund of {payment.recur_id}", key)
            logger.info("Took back %d credits for the refund of %s", share, payment.recur_id)
    except RecurError:
        logger.exception("Could not take back the credits of refunded %s", payment.recur_id)
