"""Handlers for ``credits.purchased`` and ``credits.deducted``: the local credit ledger."""

from __future__ import annotations

from collections.abc import Mapping

from recur_django.credits import record_event
from recur_django.exceptions import EventRejected
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.registry import handles

CREDIT_EVENTS = ("credits.purchased", "credits.deducted")


@handles(*CREDIT_EVENTS)
def handle_credit_event(event: RecurEvent) -> None:
    """Store the movement once (``credits_purchased`` / ``credits_deducted`` after commit)."""
    if not isinstance(event.data, Mapping) or not record_event(
        event.type, event.data, event.stored
    ):
        raise EventRejected(f"{event.type} without a usable credit transaction id")
