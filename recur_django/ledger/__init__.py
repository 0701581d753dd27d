"""The payment ledger: what Recur charged, failed to charge and refunded, exactly once.

One function per event kind; :func:`record` dispatches ``(event, event_type, data)`` to
it and ignores types it does not know, so webhook handlers stay one-line wrappers. Every
function runs inside the caller's database transaction (it opens one if there is none),
never calls Recur, and sends its signals after commit.

=============================================  ========================================
Event                                          Ledger change
=============================================  ========================================
``checkout.completed`` (paid), ``order.paid``  a paid payment (first purchase: linked to
                                               its Transaction; renewal: to the
                                               subscription)
``invoice.paid``                               a paid payment, the same row as its order
``order.payment_failed``,                      a failed payment (or the failure noted on
``invoice.payment_failed``                     the charge's row)
``refund.created/succeeded/failed``            a Refund row, applied to its payment
``invoice.refunded``                           the invoice's refunded total
``customer.created/updated``                   the Customer's email and name
``subscription.trial_ending``                  ``trial_will_end``, once per subscription
=============================================  ========================================

See :mod:`recur_django.models.payment` for how charges are identified and
:mod:`recur_django.ledger.facts` for how payloads are read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from recur_django import signals
from recur_django.client.casing import Reader
from recur_django.ledger.charges import holding, record_charge
from recur_django.ledger.facts import read_charge, read_refund
from recur_django.ledger.refunds import record_refund
from recur_django.models import Customer, Payment, Refund, Subscription
from recur_django.payloads import Outcome, classify_status
from recur_django.signals import send_after_commit
from recur_django.subscriptions import subscription_parties

if TYPE_CHECKING:
    from recur_django.models import WebhookEvent

__all__ = [
    "checkout_completed",
    "customer_changed",
    "invoice_paid",
    "invoice_payment_failed",
    "invoice_refunded",
    "locked",
    "order_paid",
    "order_payment_failed",
    "record",
    "refund_changed",
    "trial_ending",
]

Data = Mapping[str, Any]


def _atomic() -> Any:
    return transaction.atomic() if transaction.get_autocommit() else nullcontext()


def checkout_completed(event: WebhookEvent | None, data: Data) -> Payment | None:
    """A paid (or failed) checkout: the charge of its ``order_id``.

    A checkout that names no order id records nothing: the charge is recorded from the
    ``order.paid`` Recur sends with it. Canceled and expired checkouts charged nothing.
    """
    outcome = classify_status(Reader(data).text("status") or "")
    recorded = {Outcome.SUCCEEDED: "paid", Outcome.FAILED: "failed"}.get(outcome, "")
    with _atomic():
        return record_charge(read_charge("checkout.completed", data, recorded), event, data)


def order_paid(event: WebhookEvent | None, data: Data) -> Payment | None:
    """A paid order: the first purchase, a renewal's order, or a payment-link sale."""
    with _atomic():
        return record_charge(read_charge("order.paid", data, "paid"), event, data)


def order_payment_failed(event: WebhookEvent | None, data: Data) -> Payment | None:
    """A declined order: a ``failed`` payment, or the failure noted on the charge's row."""
    with _atomic():
        return record_charge(read_charge("order.payment_failed", data, "failed"), event, data)


def invoice_paid(event: WebhookEvent | None, data: Data) -> Payment | None:
    """A paid invoice: one row with its order (keyed by the invoice id)."""
    with _atomic():
        return record_charge(read_charge("invoice.paid", data, "paid"), event, data)


def invoice_payment_failed(event: WebhookEvent | None, data: Data) -> Payment | None:
    """A failed invoice (a renewal that did not go through)."""
    with _atomic():
        return record_charge(read_charge("invoice.payment_failed", data, "failed"), event, data)


def invoice_refunded(event: WebhookEvent | None, data: Data) -> Payment | None:
    """An invoice refunded in part or in full (Stripe-like: a refunded invoice was paid).

    Its ``refunded_total`` (or ``amount_refunded``) is the total refunded so far; without
    one the whole invoice counts as refunded. It never counts twice with the ``refund.*``
    events of the same money: the payment's refunded amount is the larger of the two.
    """
    facts = read_charge("invoice.refunded", data, "paid")
    if facts.refunded_total is None and facts.amount is not None:
        facts = replace(facts, refunded_total=facts.amount)
    with _atomic():
        return record_charge(facts, event, data)


def refund_changed(event: WebhookEvent | None, event_type: str, data: Data) -> Refund | None:
    """``refund.created`` / ``refund.succeeded`` / ``refund.failed``."""
    with _atomic():
        return record_refund(read_refund(event_type, data), event, data)


def customer_changed(event: WebhookEvent | None, data: Data) -> Customer | None:
    """``customer.created`` / ``customer.updated``: store the customer's email and name.

    Never creates, moves or removes an owner link (not even from a verifiable external id):
    only a checkout we started links an owner.
    """
    r = Reader(data)
    recur_id = (r.text("id", "customer_id") or "").strip()
    if not recur_id or len(recur_id) > 64:
        return None
    email = (r.text("email") or "")[:254]
    name = (r.text("name") or "")[:255]
    with _atomic():
        customer, _created = Customer.objects.select_for_update().get_or_create(
            recur_id=recur_id, defaults={"email": email, "name": name}
        )
        changed = [
            field
            for field, value in (("email", email), ("name", name))
            if value and getattr(customer, field) != value
        ]
        for field in changed:
            setattr(customer, field, {"email": email, "name": name}[field])
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    return customer


def trial_ending(event: WebhookEvent | None, data: Data) -> Subscription | None:
    """``subscription.trial_ending``: send ``trial_will_end`` once per subscription."""
    r = Reader(data)
    recur_id = (r.text("id", "subscription_id") or "").strip()
    if not recur_id or len(recur_id) > 64:
        return None
    with _atomic():
        subscription = Subscription.objects.select_for_update().filter(recur_id=recur_id).first()
        if subscription is None or subscription.trial_ending_signaled_at is not None:
            return subscription
        subscription.trial_ending_signaled_at = timezone.now()
        subscription.save(update_fields=["trial_ending_signaled_at", "updated_at"])
        send_after_commit(
            signals.trial_will_end,
            sender=Subscription,
            subscription=subscription,
            **subscription_parties(subscription),
            event=event,
        )
    return subscription


_BY_TYPE: dict[str, Callable[[WebhookEvent | None, Data], Any]] = {
    "checkout.completed": checkout_completed,
    "order.paid": order_paid,
    "order.payment_failed": order_payment_failed,
    "invoice.paid": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "invoice.refunded": invoice_refunded,
    "customer.created": customer_changed,
    "customer.updated": customer_changed,
    "subscription.trial_ending": trial_ending,
}
REFUND_EVENTS = ("refund.created", "refund.succeeded", "refund.failed")
EVENT_TYPES = (*_BY_TYPE, *REFUND_EVENTS)


def _lock_ids_of(event_type: str, data: Data) -> list[str]:
    if not isinstance(data, Mapping):
        return []
    if event_type in REFUND_EVENTS:
        facts = read_refund(event_type, data)
        return [*facts.ids, facts.refund_id]
    if event_type in _BY_TYPE and not event_type.startswith(("customer.", "subscription.")):
        return read_charge(event_type, data, "").ids
    return []


def locked(event_type: str, data: Data) -> AbstractContextManager[None]:
    """Hold the ledger's lock on the charge (and refund) ``data`` names while in the block
    (the lock itself lasts until the transaction ends).

    Webhook handlers wrap their whole work in it, so the charge lock is taken before
    anything else locks rows (fulfilment, the subscription mirror) and every delivery takes
    its locks in the same order; the ledger calls inside do not take it again.
    """
    return holding(_lock_ids_of(event_type, data))


def record(event: WebhookEvent | None, event_type: str, data: Data) -> Any:
    """Apply one event to the ledger; returns what it recorded, or None (nothing to do)."""
    if not isinstance(data, Mapping):
        return None
    if event_type in REFUND_EVENTS:
        return refund_changed(event, event_type, data)
    handler = _BY_TYPE.get(event_type)
    return handler(event, data) if handler is not None else None
