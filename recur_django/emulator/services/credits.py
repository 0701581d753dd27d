"""Prepaid credits: granted by paid ``CREDITS`` products, spent through the API.

A paid order of a ``CREDITS`` product adds the product's credits (its ``credits``, else
its price: one credit per TWD) to the customer's balance and emits ``credits.purchased``;
a deduction takes credits away and emits ``credits.deducted``. Recur documents neither
payload; both carry the credit transaction (``ctx_…``) with the balance after it. A
deduction larger than the balance is refused (``insufficient_balance``, HTTP 400) and
changes nothing. A refund gives no credits back and takes none: the site decides (the
example shop deducts a refunded pack's credits itself).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from recur_django.emulator import clock, outbox, representations
from recur_django.emulator.ids import new_id
from recur_django.emulator.models import CreditTransaction, Customer, Order, Product

Type = CreditTransaction.Type

MAX_DESCRIPTION = 500


class CreditError(Exception):
    """A refused deduction; ``status`` and ``code`` are what the API answers."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def credits_of(product: Product) -> int:
    """The credits one purchase of ``product`` grants (0 for other product types)."""
    if product.type != Product.Type.CREDITS:
        return 0
    return product.credits if product.credits is not None else product.price


def grant(order: Order) -> CreditTransaction | None:
    """Add the credits of a paid ``CREDITS`` order (inside the payment's transaction)."""
    amount = credits_of(order.product)
    if not amount or order.paid_at is None:
        return None
    customer = Customer.objects.select_for_update().get(pk=order.customer_id)
    customer.credit_balance += amount
    customer.save(update_fields=["credit_balance"])
    entry = CreditTransaction.objects.create(
        id=new_id("ctx"),
        customer=customer,
        type=Type.PURCHASE,
        amount=amount,
        balance_after=customer.credit_balance,
        description=order.product.name[:MAX_DESCRIPTION],
        order=order,
        product=order.product,
        created_at=clock.now(),
    )
    outbox.emit("credits.purchased", representations.credit_transaction(entry))
    return entry


def deduct(
    customer_id: str, amount: int, description: str, idempotency_key: str = ""
) -> CreditTransaction:
    """Take ``amount`` credits from the customer, once per ``idempotency_key``.

    A key already used for this customer returns that deduction (nothing is taken
    again); two concurrent requests with one key deduct once.
    """
    key = idempotency_key or None
    try:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
            if customer is None:
                raise CreditError(404, "customer_not_found", f"No such customer: {customer_id!r}.")
            if key is not None:
                done = CreditTransaction.objects.filter(customer=customer, idempotency_key=key)
                if (previous := done.first()) is not None:
                    return previous
            if amount > customer.credit_balance:
                raise CreditError(
                    400,
                    "insufficient_balance",
                    f"Customer {customer.id} has {customer.credit_balance} credits; "
                    f"cannot deduct {amount}.",
                )
            customer.credit_balance -= amount
            customer.save(update_fields=["credit_balance"])
            entry = CreditTransaction.objects.create(
                id=new_id("ctx"),
                customer=customer,
                type=Type.DEDUCTION,
                amount=amount,
                balance_after=customer.credit_balance,
                description=description[:MAX_DESCRIPTION],
                idempotency_key=key,
                created_at=clock.now(),
            )
            outbox.emit("credits.deducted", representations.credit_transaction(entry))
            return entry
    except IntegrityError:
        # The same key was used by a concurrent request that committed first.
        return CreditTransaction.objects.get(customer_id=customer_id, idempotency_key=key)
