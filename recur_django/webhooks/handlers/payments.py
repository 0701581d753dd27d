"""Handlers for refunds, refunded invoices and customers: thin wrappers around the ledger.

``order.*``, ``invoice.paid``/``invoice.payment_failed``, ``checkout.completed`` and
``subscription.trial_ending`` already have a handler (checkout and subscription mirror);
those call :func:`record` after their own work, so each type keeps one handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from recur_django import ledger
from recur_django.models import WebhookEvent
from recur_django.webhooks.registry import handles


def locked(event: WebhookEvent, data: Mapping[str, Any]) -> AbstractContextManager[None]:
    """Hold the ledger's lock on the event's charge; enter it before any other row lock."""
    return ledger.locked(event.type, data)


def record(event: WebhookEvent, data: Mapping[str, Any]) -> None:
    """Apply ``event`` to the ledger (the event's status is left as its handler set it)."""
    ledger.record(event, event.type, data)


@handles(*ledger.REFUND_EVENTS, "invoice.refunded", "customer.created", "customer.updated")
def handle_payment_event(event: WebhookEvent, data: Mapping[str, Any]) -> None:
    """Record a refund, a refunded invoice or a customer's new email and name."""
    record(event, data)
