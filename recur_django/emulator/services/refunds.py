"""Refunds of paid orders: full or partial; several partial refunds add up.

``refund(id)`` takes an order id (``ord_…``) or an invoice id (``in_…``, meaning the
order that paid it) and emits ``refund.created``, ``refund.succeeded`` and, for an
order that paid an invoice, ``invoice.refunded``. A refund changes no subscription.
"""

from __future__ import annotations

from django.db import transaction

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import Invoice, Order, Refund

DEFAULT_REASON = "requested_by_customer"


class RefundError(Exception):
    """The refund is refused; ``status`` is the HTTP status the control endpoint answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _paid_order_id(identifier: str) -> str:
    if identifier.startswith("in_"):
        order_id = (
            Order.objects.filter(invoice_id=identifier, paid_at__isnull=False)
            .values_list("id", flat=True)
            .first()
        )
        if order_id is None:
            if Invoice.objects.filter(id=identifier).exists():
                raise RefundError(400, "not_refundable", f"Invoice {identifier} is not paid.")
            raise RefundError(404, "resource_not_found", f"No invoice {identifier!r}.")
        return order_id
    return identifier


def refund(identifier: str, amount: int | None = None, reason: str = "") -> Refund:
    """Refund ``amount`` (default: all that is left) of the order or invoice ``identifier``."""
    identifier = (identifier or "").strip()
    if not identifier:
        raise RefundError(400, "parameter_missing", "Name the order or invoice to refund.")
    with transaction.atomic():
        order_id = _paid_order_id(identifier)
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("customer", "product", "invoice")
            .filter(id=order_id)
            .first()
        )
        if order is None:
            raise RefundError(404, "resource_not_found", f"No order {identifier!r}.")
        if order.status not in Order.REFUNDABLE:
            raise RefundError(
                400, "not_refundable", f"Order {order.id} is {order.status}: nothing to refund."
            )
        left = order.amount - order.refunded_amount
        amount = left if amount is None else amount
        if not 0 < amount <= left:
            raise RefundError(
                400,
                "amount_too_large" if amount > left else "invalid_amount",
                f"Refund between 1 and {left} {order.currency} of order {order.id} "
                f"({order.refunded_amount} of {order.amount} already refunded).",
            )
        return _apply(order, amount, reason or DEFAULT_REASON)


def _apply(order: Order, amount: int, reason: str) -> Refund:
    now = clock.now()
    order.refunded_amount += amount
    full = order.refunded_amount >= order.amount
    order.status = Order.Status.REFUNDED if full else Order.Status.PARTIALLY_REFUNDED
    order.save(update_fields=["refunded_amount", "status"])
    refund = Refund.objects.create(
        id=new_id("re"),
        order=order,
        status=Refund.Status.PENDING,
        amount=amount,
        currency=order.currency,
        reason=reason[:100],
        refunded_total=order.refunded_amount,
        created_at=now,
    )
    outbox.emit("refund.created", representations.refund(refund))
    refund.status = Refund.Status.SUCCEEDED
    refund.succeeded_at = now
    refund.save(update_fields=["status", "succeeded_at"])
    outbox.emit("refund.succeeded", representations.refund(refund))
    invoice = order.invoice
    if invoice is not None:
        invoice.status = Invoice.Status.REFUNDED if full else Invoice.Status.PARTIALLY_REFUNDED
        invoice.save(update_fields=["status"])
        outbox.emit("invoice.refunded", representations.invoice(invoice, order))
    return refund
