"""Invoices (``in_…``) and the charge attempts (``ord_…``) that pay them.

A renewal or a plan-change charge opens an invoice (``invoice.created``) and attempts
to charge the customer's card: each attempt is its own order, so a failed renewal and
its successful retry are two orders of one invoice. Events of one attempt, in order:
``order.paid`` + ``invoice.paid`` or ``order.payment_failed`` + ``invoice.payment_failed``.
"""

from __future__ import annotations

from datetime import datetime

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Invoice, Order, Product, Subscription

DECLINE_CODE = "CARD_DECLINED"
DECLINE_REASON = "The card was declined."

_KIND = {
    "subscription_cycle": Order.Kind.RENEWAL,
    "subscription_update": Order.Kind.PRORATION,
}


def open_invoice(
    sub: Subscription,
    *,
    reason: str,
    amount: int,
    start: datetime,
    end: datetime,
    product: Product | None = None,
    discount: int = 0,
) -> Invoice:
    """An OPEN invoice for ``sub``; emits ``invoice.created``."""
    invoice = Invoice.objects.create(
        id=new_id("in"),
        customer=sub.customer,
        subscription=sub,
        product=product or sub.product,
        status=Invoice.Status.OPEN,
        billing_reason=reason,
        amount=amount,
        discount_amount=discount,
        currency=sub.currency,
        period_start=start,
        period_end=end,
        created_at=clock.now(),
    )
    outbox.emit("invoice.created", representations.invoice(invoice))
    return invoice


def attempt(invoice: Invoice, retry_at: datetime | None = None) -> Order:
    """Charge the customer's card once for ``invoice`` (declines while ``card_fails``).

    ``retry_at`` is the next attempt announced on a decline (None: this was the last).
    """
    now = clock.now()
    paid = not invoice.customer.card_fails
    invoice.attempt_count += 1
    order = Order.objects.create(
        id=new_id("ord"),
        kind=_KIND.get(invoice.billing_reason, Order.Kind.RENEWAL),
        customer=invoice.customer,
        product=invoice.product,
        subscription=invoice.subscription,
        invoice=invoice,
        billing_reason=invoice.billing_reason,
        status=Order.Status.PAID if paid else Order.Status.FAILED,
        amount=invoice.amount,
        discount_amount=invoice.discount_amount,
        currency=invoice.currency,
        paid_at=now if paid else None,
        failure_code="" if paid else DECLINE_CODE,
        failure_reason="" if paid else DECLINE_REASON,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        created_at=now,
    )
    if paid:
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = now
        invoice.next_payment_attempt = None
    else:
        invoice.next_payment_attempt = retry_at
    invoice.save()
    outcome = "paid" if paid else "payment_failed"
    outbox.emit(f"order.{outcome}", representations.order(order))
    outbox.emit(f"invoice.{outcome}", representations.invoice(invoice, order))
    return order


def give_up(invoice: Invoice) -> None:
    """No retry is left: the invoice is UNCOLLECTIBLE (no event; the subscription expires)."""
    invoice.status = Invoice.Status.UNCOLLECTIBLE
    invoice.next_payment_attempt = None
    invoice.save(update_fields=["status", "next_payment_attempt"])


def open_invoice_of(sub: Subscription) -> Invoice | None:
    """The subscription's unpaid invoice (the one dunning retries), if any."""
    return sub.invoices.filter(status=Invoice.Status.OPEN).order_by("-created_at").first()
