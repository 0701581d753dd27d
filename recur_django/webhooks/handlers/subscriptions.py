"""Handlers for subscription.* and invoice.* events: they update the Subscription mirror."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from recur_django.exceptions import EventRejected
from recur_django.models import Subscription
from recur_django.subscriptions import apply_event
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.handlers.payments import record, with_ledger
from recur_django.webhooks.registry import handles

logger = logging.getLogger("recur_django.webhooks")

SUBSCRIPTION_EVENTS = (
    "subscription.created",
    "subscription.activated",
    "subscription.updated",
    "subscription.renewed",
    "subscription.trial_ending",
    "subscription.upgraded",
    "subscription.downgraded",
    "subscription.past_due",
    "subscription.payment_failed",
    "subscription.paused",
    "subscription.resumed",
    "subscription.cancelled",
    "subscription.canceled",
    "subscription.expired",
    "subscription.revoked",
    "subscription.schedule_created",
    "subscription.schedule_executed",
    "subscription.schedule_cancelled",
)

# Invoices move a subscription between ACTIVE and PAST_DUE; other invoice events
# carry nothing for the mirror (invoice.refunded is the ledger's: handlers/payments.py;
# invoice.created is stored as ignored).
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed")


@handles(*SUBSCRIPTION_EVENTS)
def handle_subscription_event(event: RecurEvent) -> None:
    """Merge the subscription in ``data`` into the mirror (order-independent)."""
    if not isinstance(event.data, Mapping):
        raise EventRejected(f"{event.type} data is not an object")
    if apply_event(event.stored, event.data) is None:
        raise EventRejected(f"{event.type} without a usable subscription id")
    record(event)  # subscription.trial_ending: trial_will_end


@handles(*INVOICE_EVENTS)
def handle_invoice_event(event: RecurEvent) -> None:
    """Mark the invoice's subscription ACTIVE (paid) or PAST_DUE (payment failed), then
    record the charge in the ledger."""
    if not isinstance(event.data, Mapping):
        raise EventRejected(f"{event.type} data is not an object")
    with_ledger(event, _mirror_invoice)


def _mirror_invoice(event: RecurEvent) -> Subscription | None:
    """Mirror the invoice; the subscription row (locked), which the ledger then reuses."""
    applied = apply_event(event.stored, event.data)
    if applied is None:
        logger.info("%s %s is not for a subscription; nothing to mirror.", event.type, event.id)
        return None
    return applied.subscription
