"""Handlers for refunds, refunded invoices and customers: thin wrappers around the ledger.

``order.*``, ``invoice.paid``/``invoice.payment_failed``, ``checkout.completed`` and
``subscription.trial_ending`` already have a handler (checkout and subscription mirror);
those do their own work inside :func:`with_ledger`, so each type keeps one handler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recur_django import ledger
from recur_django.exceptions import EventFlagged, EventIgnored, ForeignCharge
from recur_django.ledger import links
from recur_django.models import Subscription
from recur_django.webhooks.event import RecurEvent
from recur_django.webhooks.registry import handles


def record(event: RecurEvent) -> Any:
    """Apply ``event`` to the ledger; what it recorded (None: nothing)."""
    return ledger.record(event.stored, event.type, event.data)


def with_ledger(event: RecurEvent, work: Callable[[RecurEvent], Any]) -> None:
    """Run a handler's own ``work``, then record the event in the ledger.

    The ledger's lock on the event's charge is taken first, before any row lock ``work``
    takes (one lock order, no deadlock). An event ``work`` ignores (a renewal with no
    local transaction) is still recorded, and is stored processed when the ledger recorded
    a charge (ignored only when nothing was); one it rejects is not (it rolls back). A payment
    fulfilment found to be someone else's (``ForeignCharge``: a checkout carrying one of
    our transaction ids without our session) is recorded as that stranger's unattached
    charge, flagged for review, and the event is stored failed with the reason
    (``EventFlagged``). A subscription ``work`` returns (the mirror's row, locked) is
    not read again by the ledger.
    """
    with ledger.locked(event.type, event.data):
        try:
            done = work(event)
        except EventIgnored:
            if record(event) is None:
                raise
            return  # a renewal's or payment link's charge: the ledger applied it
        except ForeignCharge as exc:
            record(event)
            raise EventFlagged(f"Not this site's payment: {exc}") from exc
        with links.knowing(done if isinstance(done, Subscription) else None):
            record(event)


@handles(*ledger.REFUND_EVENTS, "invoice.refunded", "customer.created", "customer.updated")
def handle_payment_event(event: RecurEvent) -> None:
    """Record a refund, a refunded invoice or a customer's new email and name."""
    record(event)
