"""Handlers for ``product.created``, ``product.updated`` (and ``product.deleted``, which
Recur does not document but may send): the cached product list is dropped once the event
is committed, so prices and names edited in Recur's dashboard are read afresh."""

from __future__ import annotations

from django.db import transaction

from recur_django.products import forget
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.registry import handles

PRODUCT_EVENTS = ("product.created", "product.updated", "product.deleted")


@handles(*PRODUCT_EVENTS)
def handle_product_event(event: RecurEvent) -> None:
    """Drop the cached product list after commit (no Recur call here)."""
    transaction.on_commit(forget)
