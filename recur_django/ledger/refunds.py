"""Recording refunds: one :class:`~recur_django.models.Refund` row per Recur refund id.

``refund.created`` records the refund as pending, ``refund.succeeded`` as succeeded,
``refund.failed`` as failed; the furthest state wins whatever the delivery order
(pending < succeeded < failed). Pending and succeeded refunds count against the payment,
failed ones do not, nor do refunds flagged for review (``review_reason``: in another
currency than their payment, or naming another customer; see
:mod:`recur_django.ledger.review`). A refund whose payment is not recorded yet is kept
with ``payment`` empty and the ids it names, and is applied when that payment's row is
created (:func:`recur_django.ledger.charges.settle`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from recur_django.exceptions import EventRejected
from recur_django.ledger.charges import find_payment, json_safe, lock_ids, settle
from recur_django.ledger.facts import RefundFacts
from recur_django.ledger.review import flag, refund_conflict
from recur_django.models import Refund

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent

logger = logging.getLogger("recur_django.ledger")

_RANK = {Refund.Status.PENDING: 0, Refund.Status.SUCCEEDED: 1, Refund.Status.FAILED: 2}


def record_refund(
    facts: RefundFacts, event: WebhookEvent | None, data: Mapping[str, Any]
) -> Refund | None:
    """Create or update the refund ``facts`` describe and apply it to its payment."""
    if facts.malformed:
        raise EventRejected(f"Refund {facts.refund_id or '(no id)'}: {facts.malformed}")
    if not facts.refund_id:
        return None
    lock_ids([*facts.ids, facts.refund_id])
    refund = Refund.objects.select_for_update().filter(recur_id=facts.refund_id).first()
    if refund is None:
        refund = Refund(recur_id=facts.refund_id)
    was_counted = refund.pk is not None and refund.counts
    if _RANK[Refund.Status(facts.status)] > _RANK[Refund.Status(refund.status)]:
        refund.status = facts.status
    if facts.amount is not None and not refund.amount:
        refund.amount = facts.amount
    if facts.currency:
        refund.currency = facts.currency
    refund.order_id = refund.order_id or facts.order_id
    refund.invoice_id = refund.invoice_id or facts.invoice_id
    refund.raw = json_safe(data)
    payment, _ = find_payment([refund.order_id, refund.invoice_id])
    if refund.payment_id is None and payment is not None:
        refund.payment = payment
    if payment is not None:
        # Another currency or another customer than its payment: kept, flagged, not counted.
        flag(refund, refund_conflict(refund, payment))
    refund.save()
    if payment is None:
        logger.info(
            "Refund %s names no recorded payment yet (%s); kept until it appears.",
            refund.recur_id,
            ", ".join(facts.ids) or "no id",
        )
        return refund
    if was_counted and not refund.counts and refund.signaled:
        # Announced, then failed: its money is back on the payment.
        payment.refund_signaled_amount = max(payment.refund_signaled_amount - refund.amount, 0)
    if facts.refunded_total is not None and facts.status != Refund.Status.FAILED:
        payment.reported_refunded_total = max(payment.reported_refunded_total, facts.refunded_total)
    settle(payment, event)
    return refund
