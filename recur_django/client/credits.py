"""Prepaid credits: ``/v1/customers/{id}/credits`` (secret key).

A customer's credits come from paid ``CREDITS`` products and are spent with
:meth:`Credits.deduct`. Like every POST of this client, a deduction carries one
``Idempotency-Key`` for all its attempts; pass your own ``idempotency_key`` (the id of
what the credits pay for) and a deduction whose answer was lost can be sent again with
the same key: Recur answers as the first time and deducts nothing more.
"""

from __future__ import annotations

from recur_django.client.errors import InvalidRequestError
from recur_django.client.resources import _require_id, _Resource
from recur_django.client.transport import path
from recur_django.client.types import (
    CreditBalance,
    CreditTransaction,
    parse_credit_balance,
    parse_credit_transaction,
)

__all__ = ["Credits"]


class Credits(_Resource):
    """A customer's credit balance and deductions."""

    def balance(self, customer_id: str) -> CreditBalance:
        """The credits ``customer_id`` (``cus_…``) holds now."""
        data = self._transport.request(
            "GET", path("customers", _require_id(customer_id, "Customer"), "credits")
        )
        return parse_credit_balance(data)

    def deduct(
        self,
        customer_id: str,
        *,
        amount: int,
        description: str,
        idempotency_key: str | None = None,
    ) -> CreditTransaction:
        """Take ``amount`` credits from ``customer_id``; the answer carries the new balance.

        Recur refuses a deduction larger than the balance (``insufficient_balance``).
        """
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise InvalidRequestError(
                "amount must be a positive whole number of credits.",
                code="invalid_amount",
                error_type="invalid_request_error",
            )
        data = self._transport.request(
            "POST",
            path("customers", _require_id(customer_id, "Customer"), "credits", "deduct"),
            body={"amount": amount, "description": description or ""},
            idempotency_key=idempotency_key,
        )
        return parse_credit_transaction(data)
