"""Orders and invoices: ``GET /v1/orders/{id}`` and ``GET /v1/invoices/{id}``.

Recur documents no REST endpoint for orders (``ord_…``) or invoices (``in_…``): they are
known from webhook events (see ``recur-api.md`` §7.5). Where Recur is silent the client
takes Stripe's shape — ``GET /v1/invoices/{id}`` answers the invoice, and an order is read
the same way under ``/v1/orders/{id}`` — and a Recur that has no such endpoint answers
404, which raises :class:`~recur_django.client.errors.NotFoundError` like any unknown id.
The ledger asks these only to confirm a charge a webhook could not prove by itself (an
amount that was not sent, two events that disagree). The emulator serves both.

The typed :class:`Charge` carries what the ledger compares; ``raw`` is the whole object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from recur_django.client.parsing import parse, recur_object, source
from recur_django.client.resources import _require_id, _Resource
from recur_django.client.transport import path

__all__ = ["Charge", "Invoices", "Orders", "parse_charge"]


@recur_object
@dataclass(frozen=True)
class Charge:
    """An order or an invoice, as Recur reports it (``object`` says which)."""

    id: str
    object: str | None
    status: str | None
    amount: int | None
    currency: str | None
    customer_id: str | None = field(metadata=source(also_in="customer.id"))
    subscription_id: str | None
    order_id: str | None
    invoice_id: str | None
    paid_at: datetime | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def parse_charge(data: Any) -> Charge:
    return parse(Charge, data, what="charge")


class Orders(_Resource):
    """Orders (``ord_…``): ``GET /v1/orders/{id}`` (Stripe-like; not documented by Recur)."""

    def retrieve(self, id: str) -> Charge:
        data = self._transport.request("GET", path("orders", _require_id(id, "Order")))
        return parse_charge(data)


class Invoices(_Resource):
    """Invoices (``in_…``): ``GET /v1/invoices/{id}`` (Stripe-like; not documented by Recur)."""

    def retrieve(self, id: str) -> Charge:
        data = self._transport.request("GET", path("invoices", _require_id(id, "Invoice")))
        return parse_charge(data)
